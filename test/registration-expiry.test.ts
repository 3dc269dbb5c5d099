import { workflowIds } from '../common/temporal';
import { apiClient } from './support/http';
import { accessKeyLink, isAccessKeyMail, registration, signInBody } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * The registration's clocks with shortened policy values: the access key expires after 2 s and
 * unused credentials 8 s after registration (24 h and 60 days by default).
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
beforeAll(async () => {
  stack = await startStack({ ACCESS_KEY_TTL: '2s', REGISTRATION_SIGN_IN_WINDOW: '8s' });
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

test('an expired key is refused with a way to get a new one; unused credentials expire and the office is told', async () => {
  const r = registration();
  const created = await api.post('/api/registrations', r);
  expect(created.status).toBe(201);
  const { registrationId } = created.body;
  const first = await accessKeyLink(stack.mailbox, r.user.email);
  await sleep(2_500);

  const expired = await api.get(first);
  expect(expired.status).toBe(409);
  expect(expired.body.error).toMatchObject({
    code: 'key_expired',
    message: 'This link has expired: ask for a new one',
    details: { registrationId, resendUrl: `/api/registrations/${registrationId}/access-key` },
  });
  const page = await api.get(first, { accept: 'text/html' });
  expect(page.status).toBe(409);
  expect(page.body).toContain('This link has expired');

  expect((await api.post(expired.body.error.details.resendUrl)).status).toBe(202);
  const second = await accessKeyLink(stack.mailbox, r.user.email, 2);
  const confirmed = await api.get(second);
  expect(confirmed.status).toBe(200);
  expect(confirmed.body).toMatchObject({ status: 'ACTIVE', expiresAt: expect.any(String) });

  // Active, but the credentials are never used: the account expires at the end of the window.
  const handle = stack.temporal.workflow.getHandle(workflowIds.registration(r.user.email, stack.config.workflowIdSecret));
  expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
  const [mail] = await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.includes('expired') });
  expect(mail!.text).toContain('register again');
  expect((await api.get(`/api/registrations/${registrationId}`)).body).toMatchObject({ status: 'EXPIRED', statusLabel: 'Expired' });

  const signIn = await api.post('/api/sessions', signInBody(r.login.username, r.login.password));
  expect(signIn.status).toBe(403);
  expect(signIn.body.error.code).toBe('account_expired');
  const user = await stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } });
  expect(user.expiredAt).toBeInstanceOf(Date);
});

test('a registration whose email is never confirmed expires too', async () => {
  const r = registration();
  const created = await api.post('/api/registrations', r);
  await stack.mailbox.waitFor(r.user.email, { match: isAccessKeyMail });
  const handle = stack.temporal.workflow.getHandle(workflowIds.registration(r.user.email, stack.config.workflowIdSecret));
  expect(await handle.result()).toMatchObject({ status: 'EXPIRED', accessKeySends: 1 });
  expect((await api.get(`/api/registrations/${created.body.registrationId}`)).body.status).toBe('EXPIRED');
  await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.includes('expired') });
  const resend = await api.post(`/api/registrations/${created.body.registrationId}/access-key`);
  expect(resend.status).toBe(409);
});
