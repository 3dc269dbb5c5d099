import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit } from '../common/audit';
import { isPlanScoped, STAFF_ROLES, type StaffAccessRole } from '../domain/access';
import { email, personName, username, usernameKey } from '../domain/registration';
import { Prisma, type User } from '../generated/prisma/client';
import type { ApiContext } from './context';
import { HttpError, type FieldProblem } from './errors';
import { startPasswordLink } from './routes/passwordResets';
import { hashSecret } from './routes/registrations';

/**
 * Staff accounts: an administrator (or, for the first administrator, `npm run admin:create`)
 * names the person, their role and the health plans they work. The account waits
 * (PENDING_EMAIL) until its holder follows the emailed invitation and chooses a password; the
 * first sign-in then enrolls multi-factor, as for everyone.
 */
export const planIdsField = z
  .array(z.string({ error: 'a plan id is text, such as NEBHP' }).trim().toUpperCase().min(1, 'a plan id is empty'), { error: 'planIds must be a list of plan ids' })
  .max(50, 'at most 50 plans');

/** Reviewers work the plans they are assigned (at least one); support and administrators serve every plan. */
export function planProblems(accessRole: StaffAccessRole, planIds: string[], field = 'planIds'): FieldProblem[] {
  if (isPlanScoped(accessRole) && !planIds.length) {
    return [{ field, message: `A ${accessRole.toLowerCase()} works the health plans they are assigned: name at least one` }];
  }
  if (!isPlanScoped(accessRole) && planIds.length) {
    return [{ field, message: `${accessRole === 'SUPPORT' ? 'Support staff' : 'Administrators'} serve every health plan: leave planIds empty` }];
  }
  return [];
}

export const newStaffSchema = z
  .object({
    firstName: personName('First name'),
    lastName: personName('Last name'),
    email,
    username,
    accessRole: z.enum(STAFF_ROLES, { error: `accessRole must be one of ${STAFF_ROLES.join(', ')}` }),
    planIds: planIdsField.default([]),
  })
  .superRefine((v, ctx) => {
    for (const p of planProblems(v.accessRole, v.planIds)) ctx.addIssue({ code: 'custom', path: ['planIds'], message: p.message });
  });
export type NewStaff = z.output<typeof newStaffSchema>;

type Ctx = Pick<ApiContext, 'prisma' | 'temporal' | 'config' | 'log'>;

/** Plans that do not exist, as problems of `field`. */
export async function unknownPlans(ctx: Pick<ApiContext, 'prisma'>, planIds: string[], field = 'body.planIds'): Promise<FieldProblem[]> {
  const known = new Set((await ctx.prisma.healthPlan.findMany({ where: { id: { in: planIds } }, select: { id: true } })).map((p) => p.id));
  return planIds.flatMap((id, i) => (known.has(id) ? [] : [{ field: `${field}.${i}`, message: `No health plan ${id}: see GET /api/health-plans` }]));
}

/**
 * Creates the account and emails its invitation. Refuses (409) a username or email any account
 * holds. If the invitation cannot be started, the account is removed again: nothing half-made.
 */
/** Who acts: `name` as `<role>:<username>` (or `cli`), and their account id when they have one. */
export interface StaffActor {
  name: string;
  userId?: string;
  ip?: string;
}

export async function createStaffAccount(ctx: Ctx, input: NewStaff, by: StaffActor): Promise<User> {
  const { prisma } = ctx;
  const problems = await unknownPlans(ctx, input.planIds);
  if (problems.length) throw new HttpError(400, 'validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
  const key = usernameKey(input.username);
  const taken = await prisma.user.findMany({ where: { OR: [{ usernameKey: key }, { email: input.email }] }, select: { usernameKey: true, email: true } });
  const clash: FieldProblem[] = [
    ...(taken.some((t) => t.usernameKey === key) ? [{ field: 'body.username', message: `The username "${input.username}" is taken: choose another` }] : []),
    ...(taken.some((t) => t.email === input.email) ? [{ field: 'body.email', message: `An account with the email address ${input.email} exists already` }] : []),
  ];
  const refuseTaken = (found: FieldProblem[]) => new HttpError(409, 'already_exists', found.map((p) => p.message).join('; '), { problems: found });
  if (clash.length) throw refuseTaken(clash);

  const id = randomUUID();
  let user: User;
  try {
    user = await prisma.user.create({
      data: {
        id,
        accessRole: input.accessRole,
        username: input.username,
        usernameKey: key,
        email: input.email,
        firstName: input.firstName,
        lastName: input.lastName,
        // Nobody knows this password: the holder chooses theirs through the invitation.
        passwordHash: await hashSecret(randomBytes(32).toString('base64url')),
        status: 'PENDING_EMAIL',
        createdBy: by.name,
        plans: { create: input.planIds.map((planId) => ({ planId })) },
      },
    });
  } catch (err) {
    // Two administrators creating the same person at once: the database keeps one.
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      throw refuseTaken([{ field: 'body.username', message: 'The username or email address was taken a moment ago: choose another' }]);
    }
    throw err;
  }
  try {
    await sendInvitation(ctx, user, by);
  } catch (err) {
    ctx.log.error({ err, userId: id }, 'the invitation of a new staff account could not be started: the account is removed');
    await prisma.user.delete({ where: { id } });
    throw err;
  }
  await audit(prisma, {
    actor: by.userId ? `user:${by.userId}` : 'system',
    action: 'staff.created',
    subjectType: 'user',
    subjectId: id,
    details: { accessRole: input.accessRole, planIds: input.planIds, createdBy: by.name },
    ip: by.ip,
  });
  return user;
}

/** Emails (again) the link that sets the first password of a staff account that has none yet. */
export async function sendInvitation(ctx: Ctx, user: Pick<User, 'id'>, by: StaffActor): Promise<string> {
  return startPasswordLink(ctx, { target: { userId: user.id }, requestedBy: by.name, requestedById: by.userId, ip: by.ip, purpose: 'INVITATION' });
}
