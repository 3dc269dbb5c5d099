import { randomUUID } from 'node:crypto';
import { apiClient } from './support/http';
import { accessKeyLink, PASSWORD, registration, signedInOffice, signInBody, signIn as signInFully } from './support/registration';
import { acceptInvitation, firstAdmin, invitationLink, signedInStaff, STAFF_PASSWORD, type SignedInStaff } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * Staff accounts as administrators and staff live them, through HTTP and the real SMTP capture:
 * an administrator creates the account, its holder follows the emailed invitation, chooses a
 * password and enrolls an authenticator app at the first sign-in; administrators change roles
 * and plans, disable and enable, lift locks and reset multi-factor. Invitations last 6 s here.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let admin: SignedInStaff;

beforeAll(async () => {
  stack = await startStack({ STAFF_INVITATION_TTL: '6s', LOCKOUT_THRESHOLD: '3' });
  api = apiClient(stack.baseUrl);
  admin = await firstAdmin(stack);
});
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const signIn = (login: string, password = STAFF_PASSWORD) => signInFully(stack.baseUrl, login, password);
const person = () => {
  const id = randomUUID().slice(0, 8);
  return { firstName: 'Nora', lastName: 'Quinn', username: `nquinn_${id}`, email: `nora.${id}@plan-staff.example` };
};
const auditOf = (userId: string) => stack.prisma.auditEvent.findMany({ where: { subjectId: userId }, orderBy: { id: 'asc' } });

test('an administrator creates a nurse: the invitation sets the password, the first sign-in enrolls TOTP, and she works her plans', async () => {
  const p = person();
  const created = await api.post('/api/admin/staff', { ...p, accessRole: 'NURSE', planIds: ['nebhp'] }, admin.auth);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({
    username: p.username,
    accessRole: 'NURSE',
    accessRoleLabel: 'nurse reviewer',
    status: 'PENDING_EMAIL',
    state: 'invited: the password is not chosen yet',
    planIds: ['NEBHP'],
    mfaEnrolled: false,
    createdBy: `admin:${admin.username}`,
  });
  const userId = created.body.userId as string;
  // Nobody knows the password the account was made with.
  expect((await api.post('/api/sessions', signInBody(p.username, STAFF_PASSWORD))).status).toBe(401);

  const { link, token, text } = await invitationLink(stack, p.email);
  expect(text).toContain(`username ${p.username}`);
  expect(text).toContain('set up an authenticator app');
  const page = await fetch(link, { headers: { accept: 'text/html' } });
  expect(await page.text()).toContain('Set up your account: choose a password');
  const complete = (password: string) => api.post('/api/password-resets/complete', { token, password, passwordConfirmation: password });
  const weak = await complete('password123');
  expect(weak.status).toBe(400);
  const done = await complete(STAFF_PASSWORD);
  expect(done.status).toBe(200);
  expect(done.body.message).toBe('Your password is set and your account is active: sign in, and set up an authenticator app when asked.');
  expect((await complete(STAFF_PASSWORD)).status).toBe(409);

  const first = await api.post('/api/sessions', signInBody(p.username, STAFF_PASSWORD));
  expect(first.status).toBe(200);
  expect(first.body.mfa).toMatchObject({ method: 'ENROLL_TOTP', enrollment: { otpauthUri: expect.stringContaining('otpauth://totp/') } });
  const session = await signIn(p.username);
  expect(session.status).toBe(201);
  const me = await api.get('/api/me', { authorization: `Bearer ${session.body.token}` });
  expect(me.body).toMatchObject({ accessRole: 'NURSE', role: null, organization: null, tins: [], healthPlans: [expect.objectContaining({ id: 'NEBHP' })] });
  expect((await api.get('/api/review/queues/nurse', { authorization: `Bearer ${session.body.token}` })).status).toBe(200);

  const events = (await auditOf(userId)).map((e) => [e.action, e.actor]);
  expect(events).toEqual(
    expect.arrayContaining([
      ['staff.created', `user:${admin.userId}`],
      ['account.invitation_sent', `user:${admin.userId}`],
      ['account.activated', `user:${userId}`],
      ['password.set', `user:${userId}`],
      ['mfa.enrolled', `user:${userId}`],
      ['session.signed_in', `user:${userId}`],
    ]),
  );
  const all = JSON.stringify(await stack.prisma.auditEvent.findMany(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  for (const secret of [token, STAFF_PASSWORD, session.body.token, first.body.mfa.enrollment.secret]) expect(all).not.toContain(secret);
});

test('bad staff requests are refused with every problem at once and create nothing', async () => {
  const tried: string[] = [];
  const empty = await api.post('/api/admin/staff', {}, admin.auth);
  expect(empty.status).toBe(400);
  expect(empty.body.error.details.problems.map((x: { field: string }) => x.field).sort()).toEqual(
    ['body.accessRole', 'body.email', 'body.firstName', 'body.lastName', 'body.username'].sort(),
  );
  const cases: [object, string, string][] = [
    [{ accessRole: 'NURSE' }, 'body.planIds', 'A nurse works the health plans they are assigned: name at least one'],
    [{ accessRole: 'SUPPORT', planIds: ['NEBHP'] }, 'body.planIds', 'Support staff serve every health plan: leave planIds empty'],
    [{ accessRole: 'PHYSICIAN', planIds: ['NOPE'] }, 'body.planIds.0', 'No health plan NOPE: see GET /api/health-plans'],
    [{ accessRole: 'PROVIDER', planIds: [] }, 'body.accessRole', 'accessRole must be one of NURSE, PHYSICIAN, SUPERVISOR, SUPPORT, ADMIN'],
    [{ accessRole: 'ADMIN', email: 'not-an-email' }, 'body.email', 'Email address is not valid: enter an address such as name@example.org'],
  ];
  for (const [change, field, message] of cases) {
    const p = person();
    tried.push(p.username);
    const res = await api.post('/api/admin/staff', { ...p, ...change }, admin.auth);
    expect([field, res.status]).toEqual([field, 400]);
    expect(res.body.error.details.problems).toContainEqual({ field, message });
  }
  // A username or email any account holds (here an office's) is refused.
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const taken = await api.post('/api/admin/staff', { ...person(), username: office.username.toUpperCase(), email: office.email, accessRole: 'SUPPORT' }, admin.auth);
  expect(taken.status).toBe(409);
  expect(taken.body.error.details.problems.map((x: { field: string }) => x.field)).toEqual(['body.username', 'body.email']);
  expect(await stack.prisma.user.count({ where: { OR: [{ username: { in: tried } }, { email: office.email, accessRole: { not: 'PROVIDER' } }] } })).toBe(0);
  // Only administrators manage accounts.
  expect((await api.post('/api/admin/staff', { ...person(), accessRole: 'ADMIN' }, office.auth)).status).toBe(403);
});

test('role and plans change at once; nobody changes their own role or disables themself; offices are not staff', async () => {
  const doc = await signedInStaff(stack, admin, 'PHYSICIAN', ['GLCH']);
  expect((await api.get('/api/review/queues/physician', doc.auth)).status).toBe(200);
  const changed = await api.patch(`/api/admin/staff/${doc.userId}`, { accessRole: 'NURSE', planIds: ['NEBHP', 'GLCH'] }, admin.auth);
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ accessRole: 'NURSE', planIds: ['GLCH', 'NEBHP'] });
  // The same session, at its next request.
  expect((await api.get('/api/review/queues/physician', doc.auth)).status).toBe(403);
  expect((await api.get('/api/review/queues/nurse?planId=NEBHP', doc.auth)).status).toBe(200);

  const toSupport = await api.patch(`/api/admin/staff/${doc.userId}`, { accessRole: 'SUPPORT' }, admin.auth);
  expect(toSupport.body).toMatchObject({ accessRole: 'SUPPORT', planIds: [] });
  expect((await api.patch(`/api/admin/staff/${doc.userId}`, { planIds: ['NEBHP'] }, admin.auth)).status).toBe(400);
  expect((await api.patch(`/api/admin/staff/${doc.userId}`, {}, admin.auth)).status).toBe(400);
  const audit = await stack.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: doc.userId, action: 'staff.changed' }, orderBy: { id: 'asc' } });
  expect(audit.details).toEqual({ accessRole: { from: 'PHYSICIAN', to: 'NURSE' }, planIds: { from: ['GLCH'], to: ['GLCH', 'NEBHP'] } });

  const own = await api.patch(`/api/admin/staff/${admin.userId}`, { accessRole: 'SUPPORT' }, admin.auth);
  expect(own.status).toBe(409);
  expect(own.body.error.code).toBe('own_account');
  expect((await api.post(`/api/admin/users/${admin.userId}/disable`, { reason: 'testing myself' }, admin.auth)).status).toBe(409);
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.patch(`/api/admin/staff/${office.userId}`, { accessRole: 'NURSE', planIds: ['NEBHP'] }, admin.auth)).body.error.code).toBe('provider_account');
  expect((await api.patch(`/api/admin/staff/${randomUUID()}`, { accessRole: 'NURSE', planIds: ['NEBHP'] }, admin.auth)).status).toBe(404);
});

test('disabling ends every session at once; a staff account is enabled again; an office registers again', async () => {
  const sam = await signedInStaff(stack, admin, 'SUPPORT');
  expect((await api.get('/api/support/registrations', sam.auth)).status).toBe(200);
  expect((await api.post(`/api/admin/users/${sam.userId}/disable`, { reason: 'x' }, admin.auth)).status).toBe(400);
  const disabled = await api.post(`/api/admin/users/${sam.userId}/disable`, { reason: 'Left the team' }, admin.auth);
  expect(disabled.body).toMatchObject({ state: 'disabled: Left the team', disabledReason: 'Left the team' });
  const ended = await api.get('/api/support/registrations', sam.auth);
  expect([ended.status, ended.body.error.code]).toEqual([401, 'session_expired']);
  const refused = await api.post('/api/sessions', signInBody(sam.username, STAFF_PASSWORD));
  expect(refused.body.error).toMatchObject({ code: 'account_disabled', message: 'This account is disabled: ask your administrator' });
  expect((await api.post(`/api/admin/users/${sam.userId}/disable`, { reason: 'Left the team' }, admin.auth)).status).toBe(409);
  expect((await api.post(`/api/admin/users/${sam.userId}/enable`, { reason: 'Came back' }, admin.auth)).body.state).toBe('active');
  expect((await signIn(sam.username)).status).toBe(201);

  // An office: disabled, it must register again, and may with the same username and email.
  const r = registration();
  const office = await signedInOffice(stack.baseUrl, stack.mailbox, (x) => {
    x.user.email = r.user.email;
    x.login.username = r.login.username;
  });
  expect((await api.post(`/api/admin/users/${office.userId}/disable`, { reason: 'Practice closed' }, admin.auth)).status).toBe(200);
  expect((await api.get('/api/me', office.auth)).status).toBe(401);
  const gone = await api.post('/api/sessions', signInBody(office.username, PASSWORD));
  expect(gone.body.error).toMatchObject({ code: 'account_disabled', message: 'This account is disabled: register again to use the portal' });
  expect((await api.post(`/api/admin/users/${office.userId}/enable`, { reason: 'Practice reopened' }, admin.auth)).body.error.code).toBe('provider_account');
  const again = await api.post('/api/registrations', r);
  expect(again.status).toBe(201);
  expect(again.body.registrationId).not.toBe(office.userId);
  expect((await fetch(await accessKeyLink(stack.mailbox, r.user.email, 2), { headers: { accept: 'application/json' } })).status).toBe(200);
  expect((await signIn(r.login.username, PASSWORD)).status).toBe(201);
  expect((await api.get(`/api/admin/users/${office.userId}`, admin.auth)).body).toMatchObject({ username: r.login.username, state: 'disabled: Practice closed' });
});

test('a lock after failed sign-ins and a lock for inactivity are lifted by an administrator; a lost phone is reset', async () => {
  const nina = await signedInStaff(stack, admin, 'NURSE', ['NEBHP']);
  for (let i = 0; i < 3; i++) await api.post('/api/sessions', signInBody(nina.username, 'wrong password entirely'));
  expect((await api.post('/api/sessions', signInBody(nina.username, STAFF_PASSWORD))).body.error.code).toBe('account_locked');
  const unlocked = await api.post(`/api/admin/users/${nina.userId}/unlock`, { reason: 'Called from the ward, identity checked' }, admin.auth);
  expect(unlocked.status).toBe(200);
  expect(unlocked.body.state).toBe('active');
  expect((await signIn(nina.username)).status).toBe(201);
  expect((await api.post(`/api/admin/users/${nina.userId}/unlock`, { reason: 'Called again today' }, admin.auth)).body.error.code).toBe('not_locked');

  // 46 days without a sign-in: staff have no security questions, so an administrator unlocks.
  await stack.prisma.user.update({ where: { id: nina.userId }, data: { lastSignInAt: new Date(Date.now() - 46 * 86_400_000) } });
  expect((await api.post('/api/sessions', signInBody(nina.username, STAFF_PASSWORD))).body.error.code).toBe('account_inactive');
  const confirm = await api.post('/api/identity-confirmations', { login: nina.username, password: STAFF_PASSWORD });
  expect(confirm.status).toBe(409);
  expect(confirm.body.error.message).toBe('Staff accounts are unlocked by an administrator: ask yours to unlock this account');
  expect((await api.get(`/api/admin/users/${nina.userId}`, admin.auth)).body.state).toBe('locked for inactivity');
  expect((await api.post(`/api/admin/users/${nina.userId}/unlock`, { reason: 'Back from leave' }, admin.auth)).status).toBe(200);
  const back = await signIn(nina.username);
  expect(back.status).toBe(201);

  // A lost phone: the app is forgotten, every session ends, the next sign-in enrolls a new one.
  const reset = await api.post(`/api/admin/users/${nina.userId}/mfa-reset`, { reason: 'Phone lost' }, admin.auth);
  expect(reset.body.mfaEnrolled).toBe(false);
  expect((await api.get('/api/me', { authorization: `Bearer ${back.body.token}` })).status).toBe(401);
  expect((await api.post('/api/sessions', signInBody(nina.username, STAFF_PASSWORD))).body.mfa.method).toBe('ENROLL_TOTP');
  expect((await signIn(nina.username)).status).toBe(201);
  expect((await api.post(`/api/admin/users/${nina.userId}/mfa-reset`, { reason: 'Phone lost' }, admin.auth)).status).toBe(200);
  const actions = (await auditOf(nina.userId)).map((e) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['session.locked', 'account.unlocked', 'session.inactivity_locked', 'mfa.reset']));
});

test('invitations: a new one replaces the older link, and a link past STAFF_INVITATION_TTL cannot be used', async () => {
  const p = person();
  const created = await api.post('/api/admin/staff', { ...p, accessRole: 'SUPERVISOR', planIds: ['MWEP'] }, admin.auth);
  expect(created.status).toBe(201);
  const first = await invitationLink(stack, p.email);
  const resent = await api.post(`/api/admin/staff/${created.body.userId}/invitation`, {}, admin.auth);
  expect(resent.status).toBe(202);
  const second = await invitationLink(stack, p.email, 2);
  const use = (token: string) => api.post('/api/password-resets/complete', { token, password: STAFF_PASSWORD, passwordConfirmation: STAFF_PASSWORD });
  // The older link is superseded before the newer email leaves.
  expect((await use(first.token)).body.error.code).toBe('token_replaced');
  await sleep(6_500);
  expect((await use(second.token)).body.error.code).toBe('token_expired');
  expect((await api.get(`/api/admin/users/${created.body.userId}`, admin.auth)).body.status).toBe('PENDING_EMAIL');

  // A third invitation, used in time, activates the account; then there is nothing to resend.
  expect((await api.post(`/api/admin/staff/${created.body.userId}/invitation`, {}, admin.auth)).status).toBe(202);
  await stack.mailbox.waitFor(p.email, { count: 3, match: (m) => m.subject.startsWith('Set up') });
  const third = await invitationLink(stack, p.email, 3);
  expect((await use(third.token)).status).toBe(200);
  expect((await api.post(`/api/admin/staff/${created.body.userId}/invitation`, {}, admin.auth)).body.error.code).toBe('not_invited');
});

test('administrators find accounts by role, status and name', async () => {
  const nina = await signedInStaff(stack, admin, 'NURSE', ['GLCH']);
  const found = await api.get(`/api/admin/users?accessRole=NURSE&q=${encodeURIComponent(nina.username.slice(0, 14))}`, admin.auth);
  expect(found.status).toBe(200);
  expect(found.body.users.map((u: { userId: string }) => u.userId)).toContain(nina.userId);
  expect(found.body.users.every((u: { accessRole: string }) => u.accessRole === 'NURSE')).toBe(true);
  const offices = await api.get('/api/admin/users?accessRole=PROVIDER&limit=5', admin.auth);
  expect(offices.body.users[0]).toMatchObject({ accessRole: 'PROVIDER', tins: expect.arrayContaining(['04-1234567']) });
  expect((await api.get('/api/admin/users?accessRole=KING', admin.auth)).status).toBe(400);
  expect((await api.get(`/api/admin/users/${randomUUID()}`, admin.auth)).status).toBe(404);
});

test('the first administrator of a deployment comes from npm run admin:create, which refuses bad input with what to fix', async () => {
  const { execFile } = await import('node:child_process');
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/create-admin.ts', ...args],
        {
          cwd: process.cwd(),
          env: { ...process.env, DATABASE_URL: stack.config.databaseUrl, TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: stack.config.TEMPORAL_TASK_QUEUE, SMTP_URL: stack.config.smtpUrl, LOG_LEVEL: 'silent' },
        },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  const bad = await run(['--username', 'x', '--email', 'nope']);
  expect(bad.code).toBe(2);
  expect(bad.out).toContain('--username: Username must be 4 to 64 characters long');
  expect(bad.out).toContain('--first-name:');
  const p = person();
  const made = await run(['--username', p.username, '--email', p.email, '--first-name', 'Ada', '--last-name', 'Root']);
  expect([made.code, made.out]).toEqual([0, expect.stringContaining(`Created ADMIN ${p.username}`)]);
  const row = await stack.prisma.user.findFirstOrThrow({ where: { username: p.username } });
  const ada = await acceptInvitation(stack, { email: p.email, username: p.username, userId: row.id, accessRole: 'ADMIN' });
  expect((await api.get('/api/admin/users?limit=1', ada.auth)).status).toBe(200);
  expect((await run(['--username', p.username, '--email', p.email, '--first-name', 'Ada', '--last-name', 'Root'])).code).toBe(1);
});
