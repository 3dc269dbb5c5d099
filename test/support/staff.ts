import { randomUUID } from 'node:crypto';
import { createStaffAccount } from '../../api/staffAccounts';
import { createLogger } from '../../common/logger';
import type { StaffAccessRole } from '../../domain/access';
import { signIn } from './registration';
import type { TestStack } from './stack';

/** The password every test staff member chooses from their invitation. */
export const STAFF_PASSWORD = 'indigo quartz meadow canyon';

export interface SignedInStaff {
  auth: { authorization: string };
  userId: string;
  username: string;
  email: string;
  accessRole: StaffAccessRole;
}

export const isInvitationMail = (m: { subject: string }) => m.subject === 'Set up your prior-authorization portal account';

/** The invitation link of the `n`th invitation (1-based) emailed to `to`, and its token. */
export async function invitationLink(stack: TestStack, to: string, n = 1): Promise<{ link: string; token: string; text: string }> {
  const mails = await stack.mailbox.waitFor(to, { count: n, match: isInvitationMail });
  const mail = mails[n - 1]!;
  const link = mail.links.find((l) => l.includes('/api/password-resets/complete?token='));
  if (!link) throw new Error(`no invitation link in: ${mail.text}`);
  return { link, token: new URL(link).searchParams.get('token')!, text: mail.text };
}

/** Follows the emailed invitation as its holder does: chooses the password, then signs in (enrolling TOTP). */
export async function acceptInvitation(stack: TestStack, who: { email: string; username: string; userId: string; accessRole: StaffAccessRole }): Promise<SignedInStaff> {
  const { token } = await invitationLink(stack, who.email);
  const set = await fetch(`${stack.baseUrl}/api/password-resets/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, password: STAFF_PASSWORD, passwordConfirmation: STAFF_PASSWORD }),
  });
  if (set.status !== 200) throw new Error(`invitation failed: ${set.status} ${await set.text()}`);
  const session = await signIn(stack.baseUrl, who.username, STAFF_PASSWORD);
  if (session.status !== 201) throw new Error(`staff sign-in failed: ${session.status} ${JSON.stringify(session.body)}`);
  return { ...who, auth: { authorization: `Bearer ${session.body.token}` } };
}

const person = (role: StaffAccessRole) => {
  const id = randomUUID().slice(0, 8);
  const first = { NURSE: 'Nina', PHYSICIAN: 'Paul', SUPERVISOR: 'Sue', SUPPORT: 'Sam', ADMIN: 'Ada' }[role];
  return { firstName: first, lastName: 'Tester', username: `${first.toLowerCase()}.${role.toLowerCase()}.${id}`, email: `${first.toLowerCase()}.${id}@plan-staff.example` };
};

/** The first administrator of a deployment, made as `npm run admin:create` makes it, and signed in. */
export async function firstAdmin(stack: TestStack): Promise<SignedInStaff> {
  const p = person('ADMIN');
  const log = createLogger('silent', 'test');
  const user = await createStaffAccount({ prisma: stack.prisma, temporal: stack.temporal, config: stack.config, log }, { ...p, accessRole: 'ADMIN', planIds: [] }, { name: 'cli' });
  return acceptInvitation(stack, { email: p.email, username: p.username, userId: user.id, accessRole: 'ADMIN' });
}

/** A staff member created by `admin` through the admin API, invitation accepted, signed in. */
export async function signedInStaff(stack: TestStack, admin: SignedInStaff, accessRole: StaffAccessRole, planIds: string[] = []): Promise<SignedInStaff> {
  const p = person(accessRole);
  const res = await fetch(`${stack.baseUrl}/api/admin/staff`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...admin.auth },
    body: JSON.stringify({ ...p, accessRole, planIds }),
  });
  const body = (await res.json()) as { userId: string };
  if (res.status !== 201) throw new Error(`staff creation failed: ${res.status} ${JSON.stringify(body)}`);
  return acceptInvitation(stack, { email: p.email, username: p.username, userId: body.userId, accessRole });
}

/** A team for the tests of one file: an administrator, support, and reviewers of `planIds`. */
export async function staffTeam(stack: TestStack, planIds: string[]) {
  const admin = await firstAdmin(stack);
  const [nurse, physician, supervisor, support] = await Promise.all([
    signedInStaff(stack, admin, 'NURSE', planIds),
    signedInStaff(stack, admin, 'PHYSICIAN', planIds),
    signedInStaff(stack, admin, 'SUPERVISOR', planIds),
    signedInStaff(stack, admin, 'SUPPORT'),
  ]);
  return { admin, nurse: nurse!, physician: physician!, supervisor: supervisor!, support: support! };
}
