import { totpCode } from '../domain/mfa';
import { apiClient } from './support/http';
import { PASSWORD, registration, signInBody, accessKeyLink } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/** Multi-factor sign-in through HTTP with real TOTP codes and the SMTP capture. */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const step = () => Math.floor(Date.now() / 30_000);
const codeAt = (secret: string, s: number) => totpCode(secret, s * 30_000 + 1_000);

/** A registered, activated office that has never signed in. */
async function newOffice() {
  const r = registration();
  expect((await api.post('/api/registrations', r)).status).toBe(201);
  expect((await api.get(await accessKeyLink(stack.mailbox, r.user.email))).status).toBe(200);
  return r;
}

test('the first sign-in enrolls an authenticator app with a real TOTP code; later sign-ins need a fresh code', async () => {
  const r = await newOffice();
  const first = await api.post('/api/sessions', signInBody(r.login.username, PASSWORD));
  expect(first.status).toBe(200);
  const { challengeToken, method, enrollment, emailFallback } = first.body.mfa;
  expect([method, emailFallback]).toEqual(['ENROLL_TOTP', false]);
  const uri = new URL(enrollment.otpauthUri);
  expect(uri.protocol).toBe('otpauth:');
  expect(uri.searchParams.get('secret')).toBe(enrollment.secret);
  expect(decodeURIComponent(uri.pathname)).toContain(r.login.username);
  expect(enrollment.qrSvg.startsWith('<svg')).toBe(true);
  // No session yet, and no emailed code before an app is enrolled.
  expect(first.headers.get('set-cookie')).toBeNull();
  expect((await api.post('/api/sessions/mfa/email-code', { challengeToken })).status).toBe(409);

  const wrong = await api.post('/api/sessions/mfa', { challengeToken, code: '000000' === codeAt(enrollment.secret, step()) ? '111111' : '000000' });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toMatchObject({ code: 'invalid_code', details: { attemptsLeft: 4 } });
  const s = step();
  const enrolled = await api.post('/api/sessions/mfa', { challengeToken, code: codeAt(enrollment.secret, s) });
  expect(enrolled.status).toBe(201);
  expect(enrolled.headers.get('set-cookie')).toMatch(/^pa_session=/);
  expect((await api.get('/api/me', { authorization: `Bearer ${enrolled.body.token}` })).status).toBe(200);
  // The challenge is used up.
  expect((await api.post('/api/sessions/mfa', { challengeToken, code: codeAt(enrollment.secret, s) })).status).toBe(401);

  const user = await stack.prisma.user.findUniqueOrThrow({ where: { id: enrolled.body.user.userId } });
  expect(user.mfaEnrolledAt).toBeInstanceOf(Date);
  expect(user.mfaSecret).toMatch(/^v1\./);
  expect(user.mfaSecret).not.toContain(enrollment.secret);

  // Next sign-in: the app's code, but never the same step twice.
  const again = await api.post('/api/sessions', signInBody(r.login.username, PASSWORD));
  expect(again.body.mfa).toMatchObject({ method: 'TOTP', emailFallback: true });
  expect(again.body.mfa.enrollment).toBeUndefined();
  const replay = await api.post('/api/sessions/mfa', { challengeToken: again.body.mfa.challengeToken, code: codeAt(enrollment.secret, s) });
  expect(replay.status).toBe(401);
  const next = await api.post('/api/sessions/mfa', { challengeToken: again.body.mfa.challengeToken, code: codeAt(enrollment.secret, s + 1) });
  expect(next.status).toBe(201);

  const audit = JSON.stringify(await stack.prisma.auditEvent.findMany({ where: { subjectId: user.id } }), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  expect(audit).toContain('mfa.enrolled');
  expect(audit).not.toContain(enrollment.secret);
  expect(audit).not.toContain(codeAt(enrollment.secret, s));
});

test('an emailed code is the fallback for an enrolled user; five wrong codes end the sign-in', async () => {
  const r = await newOffice();
  const first = await api.post('/api/sessions', signInBody(r.login.username, PASSWORD));
  const secret = first.body.mfa.enrollment.secret;
  expect((await api.post('/api/sessions/mfa', { challengeToken: first.body.mfa.challengeToken, code: codeAt(secret, step()) })).status).toBe(201);

  const challenge = (await api.post('/api/sessions', signInBody(r.login.username, PASSWORD))).body.mfa.challengeToken;
  expect((await api.post('/api/sessions/mfa/email-code', { challengeToken: challenge })).status).toBe(202);
  const [mail] = await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject === 'Your provider portal sign-in code' });
  const code = /code is (\d{6})/.exec(mail!.text)![1]!;
  const byEmail = await api.post('/api/sessions/mfa', { challengeToken: challenge, code });
  expect(byEmail.status).toBe(201);
  const signedIn = await stack.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: byEmail.body.user.userId, action: 'session.signed_in' }, orderBy: { id: 'desc' } });
  expect(signedIn.details).toMatchObject({ mfa: 'email' });

  const guessed = (await api.post('/api/sessions', signInBody(r.login.username, PASSWORD))).body.mfa.challengeToken;
  for (let i = 0; i < 5; i++) expect((await api.post('/api/sessions/mfa', { challengeToken: guessed, code: '12345' + String(i) })).status).toBe(401);
  const late = await api.post('/api/sessions/mfa', { challengeToken: guessed, code: codeAt(secret, step() + 1) });
  expect(late.status).toBe(401);
  expect(late.body.error.code).toBe('mfa_challenge_invalid');
});
