import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { randomBytes, randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { hashToken } from '../../common/tokens';
import type { User } from '../../generated/prisma/client';
import { HIPAA_DISCLAIMER } from '../../domain/hipaa';
import { decryptSecret, encryptSecret, hashCode, mfaKeyFrom, newTotpSecret, totpQrSvg, totpUri, verifyTotp } from '../../domain/mfa';
import { searchAttributes } from '../../common/searchAttributes';
import { mfaEmailCodeWorkflow } from '../../workflows/mfaEmailCode';
import { formatTin, normalizeTin, ROLE_LABELS } from '../../domain/registration';
import { recordSignInUpdate } from '../../workflows/registration';
import { ACCESS_ROLE_LABELS, ACCESS_ROLES } from '../../domain/access';
import { allow, clientIp, createSession, SESSION_COOKIE, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { checkRoster, organizationOf } from '../roster';
import { defineRoute } from '../route';
import { hashSecret } from './registrations';

const meSchema = z.object({
  userId: z.uuid(),
  username: z.string(),
  name: z.string(),
  accessRole: z.enum(ACCESS_ROLES).describe('What the account may do: PROVIDER (an office), NURSE, PHYSICIAN, SUPERVISOR, SUPPORT or ADMIN'),
  accessRoleLabel: z.string(),
  role: z.string().nullable().describe("A provider's role in the office (null for staff)"),
  roleLabel: z.string().nullable(),
  email: z.string(),
  organization: z.object({ name: z.string(), addressLines: z.array(z.string()) }).nullable(),
  tins: z.array(z.string()),
  healthPlans: z
    .array(z.object({ id: z.string(), name: z.string(), addedAt: z.iso.datetime() }))
    .describe("An office's plans, or the plans a reviewer is assigned (none for support and administrators: every plan)"),
  lastSignInAt: z.iso.datetime().nullable(),
});

/** Why an account that gave the right password may not sign in, in the words the office sees. */
const NOT_ACTIVE: Record<Exclude<User['status'], 'ACTIVE'>, [code: string, message: string]> = {
  PENDING_EMAIL: ['registration_pending', 'Registration Pending: confirm your email address with the link we emailed you first'],
  PENDING_ACTIVATION: ['registration_pending', 'Registration Pending: your account is being verified; we will email you when it is active'],
  REJECTED: ['registration_rejected', 'Your registration was not approved; the email we sent says why. You may register again'],
  EXPIRED: ['account_expired', 'Your username and password expired because they were not used in time after registration: register again'],
};

const MFA_ATTEMPTS = 5;

export function sessionRoutes(ctx: ApiContext) {
  const { prisma, config } = ctx;
  const mfaKey = mfaKeyFrom(config.mfaEncryptionKey);
  // Everyone signs out and reads their own profile; only offices add health plans.
  const session = allow(ctx, ...ACCESS_ROLES);
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
      accessRole: u.accessRole,
      accessRoleLabel: ACCESS_ROLE_LABELS[u.accessRole],
      role: u.role,
      roleLabel: u.role ? ROLE_LABELS[u.role] : null,
      email: u.email!,
      organization: organizationOf(u),
      tins: u.tins.map((t) => formatTin(t.tin)),
      healthPlans: u.plans.map((p) => ({ id: p.planId, name: p.plan.name, addedAt: p.addedAt.toISOString() })),
      lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
    };
  }

  return [
    defineRoute({
      method: 'get',
      path: '/api/hipaa-disclaimer',
      tag: 'sessions',
      security: 'public',
      summary: 'The HIPAA disclaimer a user accepts at sign-in, with its version',
      response: z.object({ version: z.string(), text: z.string() }),
      handler: async () => ({ ...HIPAA_DISCLAIMER }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/sessions',
      tag: 'sessions',
      security: 'public',
      summary: 'Sign in, first step: username (or email), password and the accepted HIPAA disclaimer version; answers with the multi-factor challenge',
      body: z.object({
        login: z.string().trim().min(1, 'login is required: your username or email address').max(254, 'login is too long'),
        password: z.string().min(1, 'password is required').max(1024, 'password is too long'),
        hipaaDisclaimerAccepted: z.string().max(40).optional().describe('The version of the HIPAA disclaimer the user accepted (GET /api/hipaa-disclaimer)'),
      }),
      status: 200,
      response: z.object({
        mfa: z.object({
          challengeToken: z.string().describe('Send it with the code to POST /api/sessions/mfa'),
          expiresAt: z.iso.datetime(),
          method: z.enum(['TOTP', 'ENROLL_TOTP']).describe('ENROLL_TOTP: add the secret (or QR code) to an authenticator app, then send its code'),
          emailFallback: z.boolean(),
          enrollment: z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() }).optional(),
        }),
      }),
      errors: {
        400: 'Invalid request, or the HIPAA disclaimer was not accepted (`details.disclaimer` holds it)',
        401: 'The username or password is not right',
        403: 'The account may not sign in: registration pending, rejected, expired, disabled, locked, or locked for inactivity',
      },
      handler: async ({ body }, req, res) => {
        const login = body.login.toLowerCase();
        const user = await prisma.user.findFirst({ where: login.includes('@') ? { email: login } : { usernameKey: login } });
        const now = new Date();
        const fail = (action: string, details: object) =>
          audit(prisma, { actor: user ? `user:${user.id}` : 'anonymous', action, subjectType: 'user', subjectId: user?.id ?? '-', details, ip: clientIp(req) });
        const lockedMessage = (until: Date) =>
          `Your account is locked after ${config.LOCKOUT_THRESHOLD} failed sign-ins in a row: try again after ${until.toISOString().slice(11, 16)} UTC, or reset your password`;

        // A lock answers before the password is checked: attempts while locked do not count.
        if (user?.lockedUntil && user.lockedUntil > now) {
          await fail('session.sign_in_refused', { reason: 'locked' });
          throw new HttpError(403, 'account_locked', lockedMessage(user.lockedUntil), { lockedUntil: user.lockedUntil.toISOString() });
        }
        const ok = user ? await argon2.verify(user.passwordHash, body.password) : (await argon2.verify(await dummyHash, body.password), false);
        if (!user || !ok) {
          await fail('session.sign_in_failed', { reason: user ? 'wrong_password' : 'unknown_login' });
          if (user) {
            const failed = user.failedSignIns + 1;
            const lock = failed >= config.LOCKOUT_THRESHOLD ? new Date(now.getTime() + msToNumber(config.LOCKOUT_DURATION)) : null;
            await prisma.user.update({ where: { id: user.id }, data: { failedSignIns: lock ? 0 : failed, ...(lock ? { lockedUntil: lock } : {}) } });
            if (lock) {
              await fail('session.locked', { failedSignIns: failed, until: lock.toISOString() });
              throw new HttpError(403, 'account_locked', lockedMessage(lock), { lockedUntil: lock.toISOString() });
            }
          }
          throw new HttpError(401, 'invalid_credentials', 'The username or password is not right: check both and try again');
        }
        if (user.disabledAt) {
          throw new HttpError(
            403,
            'account_disabled',
            user.accessRole === 'PROVIDER' ? 'This account is disabled: register again to use the portal' : 'This account is disabled: ask your administrator',
          );
        }
        if (user.status !== 'ACTIVE') {
          const [code, message] = NOT_ACTIVE[user.status];
          throw new HttpError(403, code, message, { status: user.status });
        }
        const lastUse = user.lastSignInAt ?? user.firstSignInAt;
        if (user.inactivityLockedAt || (lastUse && now.getTime() - lastUse.getTime() > msToNumber(config.INACTIVITY_LOCK_AFTER))) {
          if (!user.inactivityLockedAt) {
            await prisma.user.update({ where: { id: user.id }, data: { inactivityLockedAt: now } });
            await fail('session.inactivity_locked', { lastSignInAt: lastUse?.toISOString() });
          }
          throw new HttpError(
            403,
            'account_inactive',
            `Your account was locked because it was not used for more than ${Math.round(msToNumber(config.INACTIVITY_LOCK_AFTER) / 86_400_000)} days: confirm your identity to unlock it with POST /api/identity-confirmations: we email you a code and ask one of your security questions`,
          );
        }
        if (body.hipaaDisclaimerAccepted !== HIPAA_DISCLAIMER.version) {
          throw new HttpError(400, 'hipaa_disclaimer_required', `Read and accept the HIPAA disclaimer (version ${HIPAA_DISCLAIMER.version}) to sign in`, {
            disclaimer: HIPAA_DISCLAIMER,
          });
        }
        if (!user.firstSignInAt && user.workflowId) {
          // First use of a provider's credentials: the registration workflow stops its expiry clock.
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
        // The password is right: the second factor comes next (enrollment for a user without one).
        const challengeToken = randomBytes(32).toString('base64url');
        const secret = user.mfaEnrolledAt ? undefined : newTotpSecret();
        const expiresAt = new Date(now.getTime() + msToNumber(config.MFA_CHALLENGE_TTL));
        await prisma.$transaction([
          prisma.mfaChallenge.create({
            data: {
              id: randomUUID(),
              userId: user.id,
              tokenHash: hashToken(challengeToken),
              pendingSecret: secret ? encryptSecret(secret, mfaKey) : null,
              hipaaVersion: HIPAA_DISCLAIMER.version,
              expiresAt,
            },
          }),
          prisma.user.update({ where: { id: user.id }, data: { failedSignIns: 0, lockedUntil: null } }),
        ]);
        const uri = secret ? totpUri(secret, user.username!) : undefined;
        return {
          mfa: {
            challengeToken,
            expiresAt: expiresAt.toISOString(),
            method: secret ? ('ENROLL_TOTP' as const) : ('TOTP' as const),
            emailFallback: !secret,
            ...(secret ? { enrollment: { secret, otpauthUri: uri!, qrSvg: await totpQrSvg(uri!) } } : {}),
          },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/sessions/mfa',
      tag: 'sessions',
      security: 'public',
      summary: 'The second step of sign-in: the code from the authenticator app (which enrolls it on first use) or an emailed code; opens the session',
      body: z.object({
        challengeToken: z.string().min(1, 'challengeToken is required: sign in with your password first'),
        code: z.string().trim().regex(/^\d{3} ?\d{3}$/, 'code is the 6-digit code from your authenticator app or email'),
      }),
      status: 201,
      response: z.object({ token: z.string(), csrfToken: z.string(), expiresAt: z.iso.datetime(), user: meSchema }),
      errors: { 401: 'The code is not right, or the sign-in has expired (sign in again)' },
      handler: async ({ body }, req, res) => {
        const now = new Date();
        const challenge = await prisma.mfaChallenge.findUnique({ where: { tokenHash: hashToken(body.challengeToken) } });
        if (!challenge || challenge.usedAt || challenge.expiresAt <= now || challenge.attempts >= MFA_ATTEMPTS) {
          throw new HttpError(401, 'mfa_challenge_invalid', 'This sign-in has expired or was already used: sign in again with your password');
        }
        const user = await prisma.user.findUniqueOrThrow({ where: { id: challenge.userId } });
        const secret = challenge.pendingSecret ?? user.mfaSecret;
        const totp = secret ? verifyTotp(decryptSecret(secret, mfaKey), body.code, { lastUsedStep: challenge.pendingSecret ? undefined : (user.mfaLastStep ?? undefined) }) : { ok: false };
        const byEmail =
          !totp.ok && !!challenge.emailCodeHash && !!challenge.emailCodeExpiresAt && challenge.emailCodeExpiresAt > now && hashCode(body.code) === challenge.emailCodeHash;
        if (!totp.ok && !byEmail) {
          const { attempts } = await prisma.mfaChallenge.update({ where: { id: challenge.id }, data: { attempts: { increment: 1 } } });
          await audit(prisma, { actor: `user:${user.id}`, action: 'session.mfa_failed', subjectType: 'user', subjectId: user.id, details: { attempts }, ip: clientIp(req) });
          throw new HttpError(401, 'invalid_code', `The code is not right: ${Math.max(0, MFA_ATTEMPTS - attempts)} attempt(s) left`, { attemptsLeft: Math.max(0, MFA_ATTEMPTS - attempts) });
        }
        // One use per challenge, and one use per TOTP time step (a code is never accepted twice).
        const used = await prisma.mfaChallenge.updateMany({ where: { id: challenge.id, usedAt: null }, data: { usedAt: now } });
        if (!used.count) throw new HttpError(401, 'mfa_challenge_invalid', 'This sign-in was already used: sign in again with your password');
        if (totp.ok && challenge.pendingSecret) {
          await prisma.user.update({ where: { id: user.id }, data: { mfaSecret: challenge.pendingSecret, mfaEnrolledAt: now, mfaLastStep: totp.step } });
          await audit(prisma, { actor: `user:${user.id}`, action: 'mfa.enrolled', subjectType: 'user', subjectId: user.id, details: { method: 'totp' }, ip: clientIp(req) });
        } else if (totp.ok) {
          const step = await prisma.user.updateMany({
            where: { id: user.id, OR: [{ mfaLastStep: null }, { mfaLastStep: { lt: totp.step! } }] },
            data: { mfaLastStep: totp.step },
          });
          if (!step.count) throw new HttpError(401, 'invalid_code', 'This code was already used: wait for the next one');
        }
        const created = await createSession(ctx, req, res, user, challenge.hipaaVersion);
        await prisma.$transaction([
          // A staff account's first sign-in is recorded here (a provider's by its registration workflow).
          prisma.user.update({ where: { id: user.id }, data: { lastSignInAt: now, ...(user.firstSignInAt ? {} : { firstSignInAt: now }) } }),
          prisma.auditEvent.create({
            data: {
              actor: `user:${user.id}`,
              action: 'session.signed_in',
              subjectType: 'user',
              subjectId: user.id,
              details: { hipaaDisclaimer: challenge.hipaaVersion, mfa: totp.ok ? 'totp' : 'email' },
              ip: clientIp(req),
            },
          }),
        ]);
        return { token: created.token, csrfToken: created.csrfToken, expiresAt: created.expiresAt.toISOString(), user: await me(user.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/sessions/mfa/email-code',
      tag: 'sessions',
      security: 'public',
      summary: 'Email a sign-in code instead of using the authenticator app (for users who enrolled one)',
      body: z.object({ challengeToken: z.string().min(1, 'challengeToken is required: sign in with your password first') }),
      status: 202,
      response: z.object({ message: z.string() }),
      errors: { 401: 'The sign-in has expired', 409: 'Enroll the authenticator app first: the first sign-in needs it' },
      handler: async ({ body }) => {
        const challenge = await prisma.mfaChallenge.findUnique({ where: { tokenHash: hashToken(body.challengeToken) } });
        if (!challenge || challenge.usedAt || challenge.expiresAt <= new Date()) {
          throw new HttpError(401, 'mfa_challenge_invalid', 'This sign-in has expired or was already used: sign in again with your password');
        }
        if (challenge.pendingSecret) {
          throw new HttpError(409, 'mfa_enrollment_required', 'Set up the authenticator app first: the first sign-in enrolls it, and emailed codes are the fallback afterwards');
        }
        await ctx.temporal.workflow.start(mfaEmailCodeWorkflow, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: `mfa-email-code-${randomUUID()}`,
          args: [{ challengeId: challenge.id, ttlMs: msToNumber(config.MFA_EMAIL_CODE_TTL) }],
          typedSearchAttributes: [{ key: searchAttributes.RecordType, value: 'MFA_EMAIL_CODE' }],
        });
        return { message: 'A sign-in code is on its way to your email address' };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/sessions',
      tag: 'sessions',
      summary: 'Sign out everywhere: ends every session of the signed-in user',
      security: session,
      status: 204,
      response: z.void(),
      handler: async (_input, req, res) => {
        const { user } = sessionOf(res);
        await prisma.$transaction([
          prisma.session.updateMany({ where: { userId: user.id, revokedAt: null }, data: { revokedAt: new Date() } }),
          prisma.auditEvent.create({
            data: { actor: `user:${user.id}`, action: 'session.signed_out_everywhere', subjectType: 'user', subjectId: user.id, ip: clientIp(req) },
          }),
        ]);
        res.clearCookie(SESSION_COOKIE, { path: '/' });
        res.status(204).end();
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
      security: allow(ctx, 'PROVIDER'),
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
