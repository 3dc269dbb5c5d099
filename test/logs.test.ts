import { createLogger } from '../common/logger';
import { totpCode } from '../domain/mfa';
import { apiClient } from './support/http';
import { PASSWORD, registration, signedInOffice, signInBody } from './support/registration';
import { firstAdmin, invitationLink, STAFF_PASSWORD } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * What the API writes to its log, at its most talkative level, while people register, follow
 * emailed links, enroll and use an authenticator app, get emailed codes, reset passwords and
 * accept staff invitations: never a password, token, key, code or TOTP secret.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
const logged: string[] = [];

beforeAll(async () => {
  stack = await startStack({ LOG_LEVEL: 'trace' }, { log: createLogger('trace', 'test-api', { write: (line: string) => void logged.push(line) }) });
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const tokenOf = (link: string, name: string) => new URL(link).searchParams.get(name)!;

test('no secret reaches the log: passwords, session and CSRF tokens, link tokens, codes, TOTP secrets', async () => {
  const secrets: Record<string, string> = { PASSWORD, STAFF_PASSWORD };

  // An office registers, follows its access key link and signs in (enrolling TOTP).
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const [keyMail] = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject.startsWith('Confirm your email') });
  secrets.accessKey = tokenOf(keyMail!.links.find((l) => l.includes('key='))!, 'key');
  secrets.officeSession = office.auth.authorization.slice('Bearer '.length);

  // A wrong password, and a registration body with a password in it that fails validation.
  secrets.wrongPassword = 'not the password at all, surely';
  expect((await api.post('/api/sessions', signInBody(office.username, secrets.wrongPassword))).status).toBe(401);
  secrets.rejectedPassword = 'rejected-registration-passphrase';
  const bad = registration((r) => {
    r.login.password = secrets.rejectedPassword;
    r.login.passwordConfirmation = 'something else entirely';
    r.user.email = 'not an email';
  });
  expect((await api.post('/api/registrations', bad)).status).toBe(400);

  // A second sign-in with an emailed code instead of the app.
  const first = await api.post('/api/sessions', signInBody(office.username, PASSWORD));
  secrets.challenge = first.body.mfa.challengeToken;
  expect((await api.post('/api/sessions/mfa/email-code', { challengeToken: secrets.challenge })).status).toBe(202);
  const [codeMail] = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === 'Your provider portal sign-in code' });
  secrets.emailedCode = /code is (\d{6})/.exec(codeMail!.text)![1]!;
  const byEmail = await api.post('/api/sessions/mfa', { challengeToken: secrets.challenge, code: secrets.emailedCode });
  expect(byEmail.status).toBe(201);
  secrets.emailSession = byEmail.body.token;
  secrets.csrf = byEmail.body.csrfToken;

  // A password reset by its emailed link.
  expect((await api.post('/api/password-resets', { login: office.email })).status).toBe(202);
  const [resetMail] = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === 'Reset your provider portal password' });
  secrets.resetToken = tokenOf(resetMail!.links.find((l) => l.includes('token='))!, 'token');
  secrets.newPassword = 'lantern harbor violet tractor';
  expect((await fetch(resetMail!.links.find((l) => l.includes('token='))!, { headers: { accept: 'text/html' } })).status).toBe(200);
  expect((await api.post('/api/password-resets/complete', { token: secrets.resetToken, password: secrets.newPassword, passwordConfirmation: secrets.newPassword })).status).toBe(200);

  // A staff member's invitation, and the enrollment of their authenticator app by hand.
  const admin = await firstAdmin(stack);
  secrets.adminSession = admin.auth.authorization.slice('Bearer '.length);
  const person = { firstName: 'Lena', lastName: 'Logs', username: `lena.logs.${Date.now()}`, email: `lena.${Date.now()}@plan-staff.example` };
  expect((await api.post('/api/admin/staff', { ...person, accessRole: 'NURSE', planIds: ['NEBHP'] }, admin.auth)).status).toBe(201);
  secrets.invitation = (await invitationLink(stack, person.email)).token;
  expect((await api.post('/api/password-resets/complete', { token: secrets.invitation, password: STAFF_PASSWORD, passwordConfirmation: STAFF_PASSWORD })).status).toBe(200);
  const enroll = await api.post('/api/sessions', signInBody(person.username, STAFF_PASSWORD));
  secrets.totpSecret = enroll.body.mfa.enrollment.secret;
  secrets.otpauthUri = enroll.body.mfa.enrollment.otpauthUri;
  secrets.totpCode = totpCode(secrets.totpSecret!, Date.now());
  const staff = await api.post('/api/sessions/mfa', { challengeToken: enroll.body.mfa.challengeToken, code: secrets.totpCode });
  expect(staff.status).toBe(201);
  secrets.staffSession = staff.body.token;

  const text = logged.join('');
  // The log was written (a request line per call), so its silence about secrets means something.
  expect(text).toContain('"path":"/api/sessions/mfa"');
  expect(text).toContain('"path":"/api/password-resets/complete"');
  const leaked = Object.entries(secrets).filter(([, value]) => text.includes(value)).map(([name]) => name);
  expect(leaked).toEqual([]);
});
