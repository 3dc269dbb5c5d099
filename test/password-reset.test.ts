import { randomUUID } from 'node:crypto';
import { PASSWORD_MESSAGES } from '../domain/registration';
import { passwordResetWorkflowId } from '../workflows/passwordReset';
import { eventually } from './support/eventually';
import { apiClient } from './support/http';
import { PASSWORD, registration, signedInOffice, signInBody, signIn as signInFully } from './support/registration';
import { firstAdmin, signedInStaff, type SignedInStaff } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * Password reset as people live it, through HTTP and the real SMTP capture: ask by username or
 * email, read the email, follow the link, choose a new password. Links last 3 s here.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
const TTL_MS = 3_000;
let SUPPORT: Record<string, string>;
let support: SignedInStaff;
const NEW_PASSWORD = 'copper meadow kettle drum';
/** Every token and password the tests use: none may reach the audit log. */
const secrets: string[] = [PASSWORD, NEW_PASSWORD];

beforeAll(async () => {
  stack = await startStack({ PASSWORD_RESET_TTL: '3s' });
  api = apiClient(stack.baseUrl);
  support = await signedInStaff(stack, await firstAdmin(stack), 'SUPPORT');
  SUPPORT = support.auth;
});
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isResetMail = (m: { subject: string }) => m.subject === 'Reset your provider portal password';
const signIn = (login: string, password: string) => signInFully(stack.baseUrl, login, password);

/** The token of the `n`th reset email (1-based) to `to`, and its link. */
async function resetLink(to: string, n = 1): Promise<{ link: string; token: string; text: string }> {
  const mails = await stack.mailbox.waitFor(to, { count: n, match: isResetMail });
  const link = mails[n - 1]!.links.find((l) => l.includes('/api/password-resets/complete?token='));
  if (!link) throw new Error(`no reset link in: ${mails[n - 1]!.text}`);
  const token = new URL(link).searchParams.get('token')!;
  secrets.push(token);
  return { link, token, text: mails[n - 1]!.text };
}

const complete = (token: string, password = NEW_PASSWORD, passwordConfirmation = password) =>
  api.post('/api/password-resets/complete', { token, password, passwordConfirmation });

async function resetsOf(userId: string) {
  return stack.prisma.passwordReset.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
}

test('a forgotten password is reset by the emailed link: the new one signs in, the old one and every session do not', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const other = await signIn(office.email, PASSWORD);
  expect(other.status).toBe(201);

  const asked = await api.post('/api/password-resets', { login: office.username.toUpperCase() });
  expect(asked.status).toBe(202);
  expect(asked.body.message).toBe(
    'If an active account matches, we emailed a link to its email address. The link works once, for 3 seconds; a newer request replaces it.',
  );

  const { link, token, text } = await resetLink(office.email);
  expect(link).toMatch(new RegExp(`^${stack.baseUrl}/api/password-resets/complete\\?token=[\\w-]{32}$`));
  expect(text).toContain(`your provider portal account ${office.username}`);
  expect(text).toContain('The link works once');

  // A person follows the link in a browser: a form; a program gets JSON.
  const page = await api.get(link, { accept: 'text/html' });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.body).toContain('Choose a new password');
  expect(page.body).toContain('<form method="post" action="/api/password-resets/complete">');
  const checked = await api.get(link);
  expect(checked.status).toBe(200);
  expect(checked.body).toMatchObject({ username: office.username, expiresAt: expect.any(String) });

  const done = await complete(token);
  expect(done.status).toBe(200);
  expect(done.body.message).toContain('Your password was changed');

  expect((await signIn(office.username, PASSWORD)).status).toBe(401);
  expect((await signIn(office.username, NEW_PASSWORD)).status).toBe(201);
  expect((await api.get('/api/me', office.auth)).status).toBe(401);
  expect((await api.get('/api/me', { authorization: `Bearer ${other.body.token}` })).status).toBe(401);
  const changed = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === 'Your provider portal password was changed' });
  expect(changed[0]!.text).toContain('If you did not change it, call Web Customer Service');

  // The link works once.
  const again = await complete(token, 'another fine passphrase here');
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ code: 'token_used', message: expect.stringContaining('already used') });
  expect((await api.get(link)).body.error.code).toBe('token_used');
  expect((await api.get(link, { accept: 'text/html' })).body).toContain('This link was already used');

  // The workflow ended; its id and search attributes say nothing about the person.
  const [reset] = await resetsOf(office.userId);
  expect(reset).toMatchObject({ requestedBy: 'user', usedAt: expect.any(Date), supersededAt: null });
  expect(reset!.tokenHash).not.toContain(token);
  const handle = stack.temporal.workflow.getHandle(passwordResetWorkflowId(reset!.id));
  expect(await handle.result()).toMatchObject({ status: 'USED' });
  const described = await handle.describe();
  expect(described.workflowId).toMatch(/^password-reset-[0-9a-f-]{36}$/);
  const attributes = JSON.stringify(described.typedSearchAttributes);
  expect(attributes).toContain('PASSWORD_RESET');
  expect(attributes).not.toContain(office.email);
  expect(attributes).not.toContain(office.username);

  const events = await stack.prisma.auditEvent.findMany({ where: { subjectId: office.userId, action: { startsWith: 'password.' } }, orderBy: { id: 'asc' } });
  expect(events.map((e) => [e.action, e.actor])).toEqual([
    ['password.reset_requested', 'anonymous'],
    ['password.reset', `user:${office.userId}`],
  ]);
  expect(events[1]!.details).toMatchObject({ resetId: reset!.id, requestedBy: 'user', sessionsRevoked: 2 });
});

test('an unknown login, or an account that is not active, gets the same answer and no email', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const known = await api.post('/api/password-resets', { login: office.email });
  await resetLink(office.email);

  const pending = registration();
  expect((await api.post('/api/registrations', pending)).status).toBe(201);
  const pendingUser = await stack.prisma.user.findFirstOrThrow({ where: { email: pending.user.email } });
  const unknownEmail = `nobody.${randomUUID().slice(0, 8)}@nowhere.example`;
  const refusedBefore = await stack.prisma.auditEvent.count({ where: { action: 'password.reset_refused', subjectId: '-' } });

  for (const login of [unknownEmail, `nobody_${randomUUID().slice(0, 8)}`, pending.login.username]) {
    const asked = await api.post('/api/password-resets', { login });
    expect({ status: asked.status, body: asked.body }).toEqual({ status: known.status, body: known.body });
  }
  const refused = await eventually(
    () => stack.prisma.auditEvent.findMany({ where: { action: 'password.reset_refused', OR: [{ subjectId: '-' }, { subjectId: pendingUser.id }] } }),
    (rows) => rows.length >= refusedBefore + 3,
  );
  expect(refused.filter((e) => e.subjectId === pendingUser.id).map((e) => e.details)).toEqual([
    expect.objectContaining({ reason: 'status_pending_email' }),
  ]);
  expect(JSON.stringify(refused.map((e) => e.details))).not.toContain(unknownEmail);
  expect(await resetsOf(pendingUser.id)).toEqual([]);
  expect((await stack.mailbox.list(pending.user.email)).filter(isResetMail)).toEqual([]);
  expect(await stack.mailbox.list(unknownEmail)).toEqual([]);

  const invalid = await api.post('/api/password-resets', { login: '  ' });
  expect(invalid.status).toBe(400);
  expect(invalid.body.error.details.problems).toEqual([{ field: 'body.login', message: 'login is required: your username or email address' }]);
});

test('a second request replaces the first link', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.post('/api/password-resets', { login: office.username })).status).toBe(202);
  const first = await resetLink(office.email);
  expect((await api.post('/api/password-resets', { login: office.email })).status).toBe(202);
  const second = await resetLink(office.email, 2);
  expect(second.token).not.toBe(first.token);

  const old = await api.get(first.link);
  expect(old.status).toBe(409);
  expect(old.body.error).toMatchObject({ code: 'token_replaced', message: 'This link was replaced by a newer one: use the link in the most recent email' });
  expect((await complete(first.token)).body.error.code).toBe('token_replaced');

  // The replaced link's workflow ends at once, not when the link would have expired.
  const [a, b] = await resetsOf(office.userId);
  expect(a).toMatchObject({ supersededAt: expect.any(Date), usedAt: null });
  expect(await stack.temporal.workflow.getHandle(passwordResetWorkflowId(a!.id)).result()).toMatchObject({ status: 'REPLACED' });
  expect(Date.now()).toBeLessThan(a!.expiresAt.getTime());

  expect((await complete(second.token)).status).toBe(200);
  expect(await stack.temporal.workflow.getHandle(passwordResetWorkflowId(b!.id)).result()).toMatchObject({ status: 'USED' });
  expect((await signIn(office.username, NEW_PASSWORD)).status).toBe(201);
});

test('a link expires after PASSWORD_RESET_TTL, and the password stays the same', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.post('/api/password-resets', { login: office.username })).status).toBe(202);
  const { link, token } = await resetLink(office.email);
  const [reset] = await resetsOf(office.userId);
  expect(reset!.expiresAt.getTime() - reset!.createdAt.getTime()).toBe(TTL_MS);

  const result = await stack.temporal.workflow.getHandle(passwordResetWorkflowId(reset!.id)).result();
  expect(result).toMatchObject({ status: 'EXPIRED' });
  expect(Date.now()).toBeGreaterThanOrEqual(reset!.expiresAt.getTime());

  const late = await api.get(link);
  expect(late.status).toBe(409);
  expect(late.body.error).toMatchObject({ code: 'token_expired', message: 'This link has expired: ask for a new password reset link' });
  expect((await complete(token)).body.error.code).toBe('token_expired');
  expect((await signIn(office.username, PASSWORD)).status).toBe(201);
  expect((await api.get('/api/me', office.auth)).status).toBe(200);

  const unknown = await api.get('/api/password-resets/complete?token=not-a-token-we-sent');
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('unknown_token');
});

test('a weak new password is refused with every problem, and the link still works', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.post('/api/password-resets', { login: office.username })).status).toBe(202);
  const { token } = await resetLink(office.email);

  const weak = await complete(token, 'Summer2026!', 'Summer2026?');
  secrets.push('Summer2026!', 'Summer2026?');
  expect(weak.status).toBe(400);
  expect(weak.body.error.code).toBe('validation_failed');
  expect(weak.body.error.details.problems).toEqual([
    { field: 'body.password', message: PASSWORD_MESSAGES.tooShort },
    { field: 'body.password', message: PASSWORD_MESSAGES.common },
    { field: 'body.passwordConfirmation', message: PASSWORD_MESSAGES.mismatch },
  ]);
  const withName = await complete(token, `${office.username} is mine`);
  secrets.push(`${office.username} is mine`);
  expect(withName.body.error.details.problems).toEqual([{ field: 'body.password', message: PASSWORD_MESSAGES.containsUsername }]);
  const missing = await api.post('/api/password-resets/complete', { token });
  expect(missing.status).toBe(400);
  expect(missing.body.error.details.problems.map((p: { field: string }) => p.field)).toEqual(['body.password', 'body.passwordConfirmation']);

  expect((await signIn(office.username, PASSWORD)).status).toBe(201);
  expect((await complete(token)).status).toBe(200);
});

test('support starts a reset for a caller; the browser form sets the password; both are audited', async () => {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const path = `/api/support/users/${office.userId}/password-reset`;

  expect((await api.post(path, {})).status).toBe(401);
  const caller = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.post(path, {}, caller.auth)).body.error.code).toBe('forbidden');
  expect((await api.post(`/api/support/users/${randomUUID()}/password-reset`, {}, SUPPORT)).status).toBe(404);
  const pending = registration();
  const created = await api.post('/api/registrations', pending);
  const notActive = await api.post(`/api/support/users/${created.body.registrationId}/password-reset`, {}, SUPPORT);
  expect(notActive.status).toBe(409);
  expect(notActive.body.error).toMatchObject({ code: 'account_not_active', message: expect.stringContaining('pending email') });

  const started = await api.post(path, {}, SUPPORT);
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ userId: office.userId, resetId: expect.any(String), sentTo: expect.stringMatching(/^d•••@harborview\.example$/) });
  const { token, text } = await resetLink(office.email);
  expect(text).toContain('Web Customer Service started a password reset');

  // The page's form posts form-encoded; a weak password shows the form again with the problems.
  const post = (password: string) =>
    fetch(`${stack.baseUrl}/api/password-resets/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ token, username: office.username, password, passwordConfirmation: password }),
    });
  const weak = await post('password123');
  expect(weak.status).toBe(400);
  const weakPage = await weak.text();
  expect(weakPage).toContain('Choose a new password');
  expect(weakPage).toContain('commonly used password');
  const ok = await post(NEW_PASSWORD);
  expect(ok.status).toBe(200);
  expect(await ok.text()).toContain('Password set');
  expect((await signIn(office.username, NEW_PASSWORD)).status).toBe(201);

  const [reset] = await resetsOf(office.userId);
  expect(reset!.requestedBy).toBe(`support:${support.username}`);
  const events = await stack.prisma.auditEvent.findMany({ where: { subjectId: office.userId, action: { startsWith: 'password.' } }, orderBy: { id: 'asc' } });
  expect(events.map((e) => [e.action, e.actor])).toEqual([
    ['password.reset_requested', `user:${support.userId}`],
    ['password.reset', `user:${office.userId}`],
  ]);
  expect(events[1]!.details).toMatchObject({ requestedBy: `support:${support.username}` });
  const audit = await api.get(`/api/support/audit?subjectId=${office.userId}&action=password.`, SUPPORT);
  expect(audit.body.events).toContainEqual(expect.objectContaining({ actor: `user:${support.userId}`, actorName: support.username, action: 'password.reset_requested' }));
});

test('the endpoints are in /openapi.json', async () => {
  const doc = (await api.get('/openapi.json')).body;
  expect(doc.paths['/api/password-resets'].post.responses['202']).toBeDefined();
  expect(Object.keys(doc.paths['/api/password-resets/complete'])).toEqual(['get', 'post']);
  expect(Object.keys(doc.paths['/api/password-resets/complete'].post.requestBody.content)).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  expect(doc.paths['/api/support/users/{userId}/password-reset'].post).toMatchObject({ security: [{ sessionBearer: [] }, { sessionCookie: [] }], 'x-roles': ['SUPPORT', 'ADMIN'] });
});

test('no token, password or hash of either is in the audit log', async () => {
  const rows = await stack.prisma.auditEvent.findMany();
  const log = JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  const hashes = (await stack.prisma.passwordReset.findMany()).map((r) => r.tokenHash);
  const passwordHashes = (await stack.prisma.user.findMany({ select: { passwordHash: true } })).map((u) => u.passwordHash);
  expect(secrets.length).toBeGreaterThan(8);
  for (const secret of [...secrets, ...hashes, ...passwordHashes]) expect(log).not.toContain(secret);
});
