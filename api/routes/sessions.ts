import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import argon2 from 'argon2';
import { z } from 'zod';
import { audit } from '../../common/audit';
import type { User } from '../../generated/prisma/client';
import { formatTin, normalizeTin, ROLE_LABELS } from '../../domain/registration';
import { recordSignInUpdate } from '../../workflows/registration';
import { authenticate, clientIp, createSession, SESSION_COOKIE, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { checkRoster, organizationOf } from '../roster';
import { defineRoute } from '../route';
import { hashSecret } from './registrations';

const meSchema = z.object({
  userId: z.uuid(),
  username: z.string(),
  name: z.string(),
  role: z.string(),
  roleLabel: z.string(),
  email: z.string(),
  organization: z.object({ name: z.string(), addressLines: z.array(z.string()) }),
  tins: z.array(z.string()),
  healthPlans: z.array(z.object({ id: z.string(), name: z.string(), addedAt: z.iso.datetime() })),
  lastSignInAt: z.iso.datetime().nullable(),
});

/** Why an account that gave the right password may not sign in, in the words the office sees. */
const NOT_ACTIVE: Record<Exclude<User['status'], 'ACTIVE'>, [code: string, message: string]> = {
  PENDING_EMAIL: ['registration_pending', 'Registration Pending: confirm your email address with the link we emailed you first'],
  PENDING_ACTIVATION: ['registration_pending', 'Registration Pending: your account is being verified; we will email you when it is active'],
  REJECTED: ['registration_rejected', 'Your registration was not approved; the email we sent says why. You may register again'],
  EXPIRED: ['account_expired', 'Your username and password expired because they were not used in time after registration: register again'],
};

export function sessionRoutes(ctx: ApiContext) {
  const { prisma } = ctx;
  const session = { kind: 'session' as const, guard: authenticate(ctx) };
  // Verifying against a real hash for unknown users keeps the answer time the same for both.
  const dummyHash = hashSecret('not-a-real-password-only-for-timing');

  async function me(userId: string): Promise<z.infer<typeof meSchema>> {
    const u = await prisma.user.findUniqueOrThrow({
      where: { id: userId },
      include: { tins: { orderBy: { tin: 'asc' } }, plans: { include: { plan: true }, orderBy: { planId: 'asc' } } },
    });
    return {
      userId: u.id,
      username: u.username!,
      name: `${u.firstName} ${u.lastName}`,
      role: u.role,
      roleLabel: ROLE_LABELS[u.role],
      email: u.email!,
      organization: organizationOf(u),
      tins: u.tins.map((t) => formatTin(t.tin)),
      healthPlans: u.plans.map((p) => ({ id: p.planId, name: p.plan.name, addedAt: p.addedAt.toISOString() })),
      lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
    };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/api/sessions',
      tag: 'sessions',
      summary: 'Sign in with username (or email) and password: a bearer token, and an http-only cookie for browsers',
      body: z.object({
        login: z.string().trim().min(1, 'login is required: your username or email address').max(254, 'login is too long'),
        password: z.string().min(1, 'password is required').max(1024, 'password is too long'),
      }),
      status: 201,
      response: z.object({ token: z.string(), expiresAt: z.iso.datetime(), user: meSchema }),
      errors: {
        401: 'The username or password is not right',
        403: 'The account may not sign in yet (registration pending), or any more (rejected, expired)',
      },
      handler: async ({ body }, req, res) => {
        const login = body.login.toLowerCase();
        const user = await prisma.user.findFirst({ where: login.includes('@') ? { email: login } : { usernameKey: login } });
        const ok = user ? await argon2.verify(user.passwordHash, body.password) : (await argon2.verify(await dummyHash, body.password), false);
        if (!user || !ok) {
          await audit(prisma, {
            actor: user ? `user:${user.id}` : 'anonymous',
            action: 'session.sign_in_failed',
            subjectType: 'user',
            subjectId: user?.id ?? '-',
            details: { reason: user ? 'wrong_password' : 'unknown_login' },
            ip: clientIp(req),
          });
          throw new HttpError(401, 'invalid_credentials', 'The username or password is not right: check both and try again');
        }
        if (user.status !== 'ACTIVE') {
          const [code, message] = NOT_ACTIVE[user.status];
          throw new HttpError(403, code, message, { status: user.status });
        }
        if (!user.firstSignInAt) {
          // First use of the credentials: the registration workflow stops its expiry clock.
          try {
            const view = await ctx.temporal.workflow.getHandle(user.workflowId).executeUpdate(recordSignInUpdate);
            if (view.status !== 'ACTIVE') throw new HttpError(403, ...NOT_ACTIVE.EXPIRED);
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
              req.log.warn({ userId: user.id, err }, 'first sign-in refused by the registration workflow');
              throw new HttpError(403, ...NOT_ACTIVE.EXPIRED);
            }
            throw err;
          }
        }
        const created = await createSession(ctx, req, res, user);
        await prisma.$transaction([
          prisma.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } }),
          prisma.auditEvent.create({
            data: { actor: `user:${user.id}`, action: 'session.signed_in', subjectType: 'user', subjectId: user.id, ip: clientIp(req) },
          }),
        ]);
        return { token: created.token, expiresAt: created.expiresAt.toISOString(), user: await me(user.id) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/sessions/current',
      tag: 'sessions',
      summary: 'Sign out: ends this session',
      security: session,
      status: 204,
      response: z.void(),
      handler: async (_input, req, res) => {
        const { sessionId, user } = sessionOf(res);
        await prisma.$transaction([
          prisma.session.update({ where: { id: sessionId }, data: { revokedAt: new Date() } }),
          prisma.auditEvent.create({
            data: { actor: `user:${user.id}`, action: 'session.signed_out', subjectType: 'user', subjectId: user.id, ip: clientIp(req) },
          }),
        ]);
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/me',
      tag: 'sessions',
      summary: "The signed-in user's profile: organization, TINs and health plans",
      security: session,
      response: meSchema,
      handler: async (_input, _req, res) => me(sessionOf(res).user.id),
    }),
    defineRoute({
      method: 'post',
      path: '/api/me/health-plans',
      tag: 'sessions',
      summary: 'Add health plans to the profile without registering again (new TINs must be of the same organization)',
      security: session,
      body: z.object({
        planIds: z.array(z.string().trim().min(1, 'a plan id is empty'), { error: 'planIds must be a list of plan ids' }).min(1, 'choose at least one health plan').max(50),
        tins: z.array(z.string(), { error: 'tins must be a list of 9-digit Tax IDs' }).max(20).default([]),
      }),
      status: 201,
      response: meSchema,
      errors: { 409: 'Every plan is already on the profile, or a TIN belongs to another organization' },
      handler: async ({ body }, req, res) => {
        const { user } = sessionOf(res);
        const own = (await prisma.userTin.findMany({ where: { userId: user.id } })).map((t) => t.tin);
        const badTins = body.tins.map((t, i) => [normalizeTin(t), i] as const).filter(([t]) => !t);
        const check = await checkRoster(
          prisma,
          { tins: body.tins, planIds: body.planIds, extraTins: own },
          { tins: 'body.tins', planIds: 'body.planIds' },
        );
        const problems = [
          ...badTins.map(([, i]) => ({ field: `body.tins.${i}`, message: 'A TIN has 9 digits, as 12-3456789 or 123456789' })),
          ...check.problems,
        ];
        if (problems.length) {
          throw new HttpError(400, 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
        }
        // A new TIN must belong to the organization the profile's TINs belong to.
        const ownOrgs = new Set((await prisma.taxId.findMany({ where: { tin: { in: own } } })).map((t) => t.organizationId));
        const foreign = check.found.filter((t) => !own.includes(t.tin) && ownOrgs.size > 0 && !ownOrgs.has(t.organization.id));
        if (foreign.length) {
          throw new HttpError(
            409,
            'other_organization',
            `TIN ${foreign.map((t) => formatTin(t.tin)).join(', ')} belongs to another organization than your profile: register a separate account for it, or call Web Customer Service`,
          );
        }
        const planIds = [...new Set(body.planIds)];
        const present = new Set((await prisma.userHealthPlan.findMany({ where: { userId: user.id } })).map((p) => p.planId));
        const added = planIds.filter((p) => !present.has(p));
        if (!added.length) {
          throw new HttpError(409, 'already_added', `Health plan ${planIds.join(', ')} is already on your profile`);
        }
        const newTins = [...new Set(check.found.map((t) => t.tin))].filter((t) => !own.includes(t));
        await prisma.$transaction([
          prisma.userTin.createMany({ data: newTins.map((tin) => ({ userId: user.id, tin })), skipDuplicates: true }),
          prisma.userHealthPlan.createMany({ data: added.map((planId) => ({ userId: user.id, planId })), skipDuplicates: true }),
          prisma.auditEvent.create({
            data: {
              actor: `user:${user.id}`,
              action: 'profile.health_plans_added',
              subjectType: 'user',
              subjectId: user.id,
              details: { planIds: added, tins: newTins },
              ip: clientIp(req),
            },
          }),
        ]);
        return me(user.id);
      },
    }),
  ];
}
