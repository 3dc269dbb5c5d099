import { WorkflowNotFoundError } from '@temporalio/client';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { ACCESS_ROLE_LABELS, ACCESS_ROLES, isStaff, STAFF_ROLES } from '../../domain/access';
import { formatTin } from '../../domain/registration';
import type { Prisma, User } from '../../generated/prisma/client';
import { allow, auditActor, clientIp, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';
import { createStaffAccount, newStaffSchema, planIdsField, planProblems, sendInvitation, unknownPlans, type StaffActor } from '../staffAccounts';
import { masked } from './passwordResets';

const STATUSES = ['PENDING_EMAIL', 'PENDING_ACTIVATION', 'ACTIVE', 'REJECTED', 'EXPIRED'] as const;

const accountSchema = z.object({
  userId: z.uuid(),
  username: z.string().nullable(),
  email: z.string().nullable(),
  name: z.string(),
  accessRole: z.enum(ACCESS_ROLES),
  accessRoleLabel: z.string(),
  status: z.enum(STATUSES).describe('PENDING_EMAIL for a staff account means invited: the password is not chosen yet'),
  state: z.string().describe('In words: invited, active, locked until ..., locked for inactivity, disabled'),
  planIds: z.array(z.string()),
  tins: z.array(z.string()),
  mfaEnrolled: z.boolean(),
  disabledReason: z.string().nullable(),
  lockedUntil: z.iso.datetime().nullable(),
  inactivityLocked: z.boolean(),
  createdBy: z.string().nullable(),
  registeredAt: z.iso.datetime(),
  lastSignInAt: z.iso.datetime().nullable(),
});
type Account = User & { plans: { planId: string }[]; tins: { tin: string }[] };

function stateOf(u: User, now = new Date()): string {
  if (u.disabledAt) return `disabled: ${u.disabledReason ?? 'no reason given'}`;
  if (u.status === 'PENDING_EMAIL') return isStaff(u.accessRole) ? 'invited: the password is not chosen yet' : 'registered: the email address is not confirmed yet';
  if (u.status !== 'ACTIVE') return u.status.toLowerCase().replace('_', ' ');
  if (u.lockedUntil && u.lockedUntil > now) return `locked after failed sign-ins until ${u.lockedUntil.toISOString()}`;
  if (u.inactivityLockedAt) return 'locked for inactivity';
  return 'active';
}

const toAccount = (u: Account): z.infer<typeof accountSchema> => ({
  userId: u.id,
  username: u.username ?? u.releasedUsername,
  email: u.email ?? u.releasedEmail,
  name: `${u.firstName} ${u.lastName}`,
  accessRole: u.accessRole,
  accessRoleLabel: ACCESS_ROLE_LABELS[u.accessRole],
  status: u.status,
  state: stateOf(u),
  planIds: u.plans.map((p) => p.planId).sort(),
  tins: u.tins.map((t) => formatTin(t.tin)).sort(),
  mfaEnrolled: !!u.mfaEnrolledAt,
  disabledReason: u.disabledReason,
  lockedUntil: u.lockedUntil && u.lockedUntil > new Date() ? u.lockedUntil.toISOString() : null,
  inactivityLocked: !!u.inactivityLockedAt,
  createdBy: u.createdBy,
  registeredAt: u.registeredAt.toISOString(),
  lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
});

const userParams = z.object({ userId: z.uuid('userId must be the id of an account') });
const reasonBody = z.object({ reason: z.string({ error: 'reason is required' }).trim().min(5, 'Say why, in at least 5 characters (kept in the audit log)').max(500) });

/**
 * Administrators manage accounts: create staff (emailed an invitation), change a staff
 * member's role and plans, disable and re-enable, lift locks, and reset multi-factor. Every
 * change is audited with who did it, from where and why; nobody can lock themselves out.
 */
export function adminRoutes(ctx: ApiContext) {
  const { prisma } = ctx;
  const security = allow(ctx, 'ADMIN');
  const include = { plans: { select: { planId: true } }, tins: { select: { tin: true } } } as const;

  async function accountOr404(userId: string): Promise<Account> {
    const u = await prisma.user.findUnique({ where: { id: userId }, include });
    if (!u) throw new HttpError(404, 'not_found', `No account ${userId}`);
    return u;
  }
  function staffOnly(u: Account): Account {
    if (!isStaff(u.accessRole)) {
      throw new HttpError(409, 'provider_account', 'This is a provider office account: its plans and TINs are the office\'s own (POST /api/me/health-plans), and it registers again once disabled');
    }
    return u;
  }
  const staffOr409 = async (userId: string) => staffOnly(await accountOr404(userId));
  const notYourself = (res: Response, u: User, what: string) => {
    if (sessionOf(res).user.id === u.id) throw new HttpError(409, 'own_account', `You cannot ${what} your own account: ask another administrator`);
  };
  const actor = (req: Request, res: Response): StaffActor => {
    const me = sessionOf(res).user;
    return { name: `admin:${me.username}`, userId: me.id, ip: clientIp(req) };
  };
  /** One change of an account and its audit row, in one transaction. */
  async function change(req: Request, res: Response, u: User, action: string, data: Prisma.UserUpdateInput, details: Record<string, unknown>, tx?: (db: Prisma.TransactionClient) => Promise<unknown>) {
    await prisma.$transaction(async (db) => {
      await db.user.update({ where: { id: u.id }, data });
      if (tx) await tx(db);
      await audit(db, { actor: auditActor(sessionOf(res).user), action, subjectType: 'user', subjectId: u.id, details: details as Prisma.InputJsonValue, ip: clientIp(req) });
    });
    return toAccount(await accountOr404(u.id));
  }
  /** POST /api/admin/users/:userId/<action> with a reason: one change of one account, answered with the account. */
  const accountAction = (
    action: string,
    summary: string,
    conflict: string,
    act: (u: Account, reason: string, req: Request, res: Response) => Promise<z.infer<typeof accountSchema>>,
  ) =>
    defineRoute({
      method: 'post',
      path: `/api/admin/users/:userId/${action}`,
      tag: 'admin',
      summary,
      security,
      params: userParams,
      body: reasonBody,
      response: accountSchema,
      errors: { 404: 'No such account', 409: conflict },
      handler: async ({ params, body }, req, res) => act(await accountOr404(params.userId), body.reason, req, res),
    });
  const revokeSessions = (userId: string) => (db: Prisma.TransactionClient) => db.session.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });

  return [
    defineRoute({
      method: 'get',
      path: '/api/admin/users',
      tag: 'admin',
      summary: 'Accounts (offices and staff) by role, status and name, username or email; newest first',
      security,
      query: z.object({
        accessRole: z.enum(ACCESS_ROLES, { error: `accessRole must be one of ${ACCESS_ROLES.join(', ')}` }).optional(),
        status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` }).optional(),
        disabled: z.enum(['true', 'false'], { error: 'disabled must be true or false' }).optional(),
        q: z.string().trim().min(2, 'q needs at least 2 characters').max(100).optional().describe('Part of a name, username or email address'),
        limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1).max(200).default(50),
      }),
      response: z.object({ users: z.array(accountSchema) }),
      handler: async ({ query }) => {
        const q = query.q ? { contains: query.q, mode: 'insensitive' as const } : undefined;
        const rows = await prisma.user.findMany({
          where: {
            ...(query.accessRole ? { accessRole: query.accessRole } : {}),
            ...(query.status ? { status: query.status } : {}),
            ...(query.disabled ? { disabledAt: query.disabled === 'true' ? { not: null } : null } : {}),
            ...(q ? { OR: [{ username: q }, { email: q }, { firstName: q }, { lastName: q }] } : {}),
          },
          include,
          orderBy: { registeredAt: 'desc' },
          take: query.limit,
        });
        return { users: rows.map(toAccount) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/admin/users/:userId',
      tag: 'admin',
      summary: 'One account',
      security,
      params: userParams,
      response: accountSchema,
      errors: { 404: 'No such account' },
      handler: async ({ params }) => toAccount(await accountOr404(params.userId)),
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/staff',
      tag: 'admin',
      summary: 'Create a staff account (nurse, physician, supervisor, support or administrator) and email its invitation to choose a password',
      security,
      body: newStaffSchema,
      status: 201,
      response: accountSchema.extend({ message: z.string() }),
      errors: { 409: 'The username or email address belongs to an account already' },
      handler: async ({ body }, req, res) => {
        const u = await createStaffAccount(ctx, body, actor(req, res));
        return {
          ...toAccount(await accountOr404(u.id)),
          message: `An invitation is on its way to ${masked(body.email)}; its link works once, for ${ctx.config.STAFF_INVITATION_TTL}.`,
        };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/api/admin/staff/:userId',
      tag: 'admin',
      summary: "Change a staff member's role or the health plans they work (takes effect on their next request)",
      security,
      params: userParams,
      body: z
        .object({
          accessRole: z.enum(STAFF_ROLES, { error: `accessRole must be one of ${STAFF_ROLES.join(', ')}` }).optional(),
          planIds: planIdsField.optional(),
        })
        .refine((b) => b.accessRole !== undefined || b.planIds !== undefined, { message: 'Send accessRole, planIds or both' }),
      response: accountSchema,
      errors: { 404: 'No such account', 409: 'A provider account, or your own role' },
      handler: async ({ params, body }, req, res) => {
        const u = await staffOr409(params.userId);
        if (body.accessRole && body.accessRole !== u.accessRole) notYourself(res, u, 'change the role of');
        const role = body.accessRole ?? (u.accessRole as (typeof STAFF_ROLES)[number]);
        const before = u.plans.map((p) => p.planId).sort();
        // A role without plans drops them; a reviewer keeps theirs unless new ones are named.
        const planIds = [...new Set(body.planIds ?? (planProblems(role, before).length ? [] : before))];
        const problems = [...planProblems(role, planIds, 'body.planIds'), ...(await unknownPlans(ctx, planIds))];
        if (problems.length) throw new HttpError(400, 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
        return change(
          req,
          res,
          u,
          'staff.changed',
          { accessRole: role },
          { accessRole: { from: u.accessRole, to: role }, planIds: { from: before, to: planIds.sort() } },
          async (db) => {
            await db.userHealthPlan.deleteMany({ where: { userId: u.id, planId: { notIn: planIds } } });
            await db.userHealthPlan.createMany({ data: planIds.map((planId) => ({ userId: u.id, planId })), skipDuplicates: true });
          },
        );
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/admin/staff/:userId/invitation',
      tag: 'admin',
      summary: 'Email a new invitation to a staff member who has not chosen a password yet (the older link stops working)',
      security,
      params: userParams,
      status: 202,
      response: z.object({ userId: z.uuid(), message: z.string() }),
      errors: { 404: 'No such account', 409: 'A provider account, or the password is chosen already' },
      handler: async ({ params }, req, res) => {
        const u = await staffOr409(params.userId);
        if (u.status !== 'PENDING_EMAIL' || u.disabledAt || !u.email) {
          throw new HttpError(409, 'not_invited', `This account is ${stateOf(u)}: only an account whose password is not chosen yet gets an invitation (use a password reset otherwise)`);
        }
        await sendInvitation(ctx, u, actor(req, res));
        return { userId: u.id, message: `A new invitation is on its way to ${masked(u.email)}.` };
      },
    }),
    accountAction('disable', 'Disable an account: every session ends at once; an office must register again, a staff account can be enabled again', 'Disabled already, or your own account', async (u, reason, req, res) => {
      notYourself(res, u, 'disable');
      if (u.disabledAt) throw new HttpError(409, 'already_disabled', `This account was disabled already: ${u.disabledReason ?? ''}`);
      const account = await change(req, res, u, 'account.disabled', { disabledAt: new Date(), disabledReason: reason }, { reason }, revokeSessions(u.id));
      // A registration still waiting for its first sign-in ends, so that the office may register again.
      if (u.workflowId && u.accessRole === 'PROVIDER') {
        await ctx.temporal.workflow
          .getHandle(u.workflowId)
          .terminate(`account disabled by an administrator: ${reason}`)
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
      }
      return account;
    }),
    accountAction('enable', 'Enable a disabled staff account again (a disabled office registers again instead)', 'Not disabled, or a provider account', async (u, reason, req, res) => {
      staffOnly(u);
      if (!u.disabledAt) throw new HttpError(409, 'not_disabled', 'This account is not disabled');
      // The time it spent disabled does not count as inactivity.
      return change(req, res, u, 'account.enabled', { disabledAt: null, disabledReason: null, inactivityLockedAt: null, lastSignInAt: u.lastSignInAt ? new Date() : null }, { reason });
    }),
    accountAction('unlock', 'Lift a lock after failed sign-ins or for inactivity (staff accounts have no security questions to unlock themselves)', 'The account is not locked', async (u, reason, req, res) => {
      const locked = (u.lockedUntil && u.lockedUntil > new Date()) || u.inactivityLockedAt;
      if (!locked) throw new HttpError(409, 'not_locked', `This account is ${stateOf(u)}: there is no lock to lift`);
      // Like a confirmed identity: the inactivity clock starts again, or the next sign-in would lock it again.
      const data = { lockedUntil: null, failedSignIns: 0, inactivityLockedAt: null, ...(u.inactivityLockedAt ? { lastSignInAt: new Date() } : {}) };
      return change(req, res, u, 'account.unlocked', data, { reason, lock: u.inactivityLockedAt ? 'inactivity' : 'failed_sign_ins' });
    }),
    accountAction('mfa-reset', 'Forget the authenticator app of an account (a lost phone): every session ends and the next sign-in enrolls a new app', 'No app is enrolled', async (u, reason, req, res) => {
      if (!u.mfaEnrolledAt) throw new HttpError(409, 'not_enrolled', 'This account has no authenticator app enrolled: its next sign-in enrolls one');
      return change(req, res, u, 'mfa.reset', { mfaSecret: null, mfaEnrolledAt: null, mfaLastStep: null }, { reason }, revokeSessions(u.id));
    }),
  ];
}
