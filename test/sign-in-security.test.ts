import { HIPAA_DISCLAIMER } from '../domain/hipaa';
import { apiClient } from './support/http';
import { PASSWORD, signedInOffice, signInBody, signIn as signInFully } from './support/registration';
import { firstAdmin } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * Sign-in security with shortened policies: 3 failed sign-ins lock for 3 s, sessions end after
 * 3 s without use, accounts lock after 10 s without a sign-in (long enough for the other tests'
 * sign-ins on a loaded machine).
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  stack = await startStack({ LOCKOUT_THRESHOLD: '3', LOCKOUT_DURATION: '3s', SESSION_IDLE_TIMEOUT: '3s', INACTIVITY_LOCK_AFTER: '10s' });
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the HIPAA disclaimer is accepted at sign-in, and its version is recorded with the session', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const shown = await api.get('/api/hipaa-disclaimer');
  expect(shown.body).toEqual(HIPAA_DISCLAIMER);
  const refused = await api.post('/api/sessions', { login: office.username, password: PASSWORD });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({ code: 'hipaa_disclaimer_required', details: { disclaimer: HIPAA_DISCLAIMER } });
  const signedIn = await signInFully(stack.baseUrl, office.username, PASSWORD);
  expect(signedIn.status).toBe(201);
  const sessions = await stack.prisma.session.findMany({ where: { userId: office.userId } });
  expect(sessions.every((s) => s.hipaaVersion === HIPAA_DISCLAIMER.version && s.hipaaAcceptedAt instanceof Date)).toBe(true);
});

test('failed sign-ins in a row lock the account for a while, even for the right password', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const wrong = () => api.post('/api/sessions', signInBody(office.username, 'not the password at all'));
  expect((await wrong()).status).toBe(401);
  expect((await wrong()).status).toBe(401);
  const third = await wrong();
  expect(third.status).toBe(403);
  expect(third.body.error).toMatchObject({ code: 'account_locked', message: expect.stringMatching(/^Your account is locked after 3 failed sign-ins in a row: try again after \d\d:\d\d UTC/) });
  const right = await api.post('/api/sessions', signInBody(office.username, PASSWORD));
  expect(right.status).toBe(403);
  expect(right.body.error.code).toBe('account_locked');

  await sleep(3_200);
  expect((await signInFully(stack.baseUrl, office.username, PASSWORD)).status).toBe(201);
  expect(await stack.prisma.user.findUniqueOrThrow({ where: { id: office.userId } })).toMatchObject({ failedSignIns: 0, lockedUntil: null });
  const actions = (await stack.prisma.auditEvent.findMany({ where: { subjectId: office.userId, action: { startsWith: 'session.' } }, orderBy: { id: 'asc' } })).map((e) => e.action);
  expect(actions).toEqual(['session.signed_in', 'session.sign_in_failed', 'session.sign_in_failed', 'session.sign_in_failed', 'session.locked', 'session.sign_in_refused', 'session.signed_in']);
});

test('sign out everywhere; a session ends after a while without use, but not while it is used', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const a = await signInFully(stack.baseUrl, office.username, PASSWORD);
  const b = await signInFully(stack.baseUrl, office.username, PASSWORD);
  expect((await api.delete('/api/sessions', { authorization: `Bearer ${a.body.token}` })).status).toBe(204);
  expect((await api.get('/api/me', { authorization: `Bearer ${b.body.token}` })).status).toBe(401);
  expect((await api.get('/api/me', office.auth)).status).toBe(401);

  const c = await signInFully(stack.baseUrl, office.username, PASSWORD);
  const auth = { authorization: `Bearer ${c.body.token}` };
  for (let i = 0; i < 5; i++) {
    await sleep(1_000);
    expect((await api.get('/api/me', auth)).status).toBe(200);
  }
  await sleep(3_200);
  const idle = await api.get('/api/me', auth);
  expect(idle.status).toBe(401);
  expect(idle.body.error.message).toBe('Your session ended after a period without activity: sign in again');
});

test('a browser session needs its CSRF token for changes; an API client with a bearer token does not', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const signedIn = await signInFully(stack.baseUrl, office.username, PASSWORD);
  const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
  expect((await api.get('/api/me', { cookie })).status).toBe(200);
  const forged = await api.post('/api/drafts', {}, { cookie });
  expect(forged.status).toBe(403);
  expect(forged.body.error.code).toBe('csrf_token_invalid');
  expect((await api.post('/api/drafts', {}, { cookie, 'x-csrf-token': 'guessed' })).status).toBe(403);
  expect((await api.post('/api/drafts', {}, { cookie, 'x-csrf-token': signedIn.body.csrfToken })).status).toBe(201);
  expect((await api.post('/api/drafts', {}, { authorization: `Bearer ${signedIn.body.token}` })).status).toBe(201);
});

test('an account not used for longer than the policy is locked until identity is confirmed; a disabled one must register again', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  await sleep(10_500);
  const locked = await api.post('/api/sessions', signInBody(office.username, PASSWORD));
  expect(locked.status).toBe(403);
  expect(locked.body.error).toMatchObject({ code: 'account_inactive', message: expect.stringContaining('confirm your identity') });
  expect((await stack.prisma.user.findUniqueOrThrow({ where: { id: office.userId } })).inactivityLockedAt).toBeInstanceOf(Date);

  // An administrator disables the account.
  const [other, admin] = await Promise.all([signedInOffice(stack.baseUrl, stack.mailbox), firstAdmin(stack)]);
  expect((await api.post(`/api/admin/users/${other.userId}/disable`, { reason: 'left the practice' }, admin.auth)).status).toBe(200);
  const disabled = await api.post('/api/sessions', signInBody(other.username, PASSWORD));
  expect(disabled.status).toBe(403);
  expect(disabled.body.error).toMatchObject({ code: 'account_disabled', message: 'This account is disabled: register again to use the portal' });
  expect((await api.get('/api/me', other.auth)).status).toBe(401);
});
