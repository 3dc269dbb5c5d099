import argon2 from 'argon2';
import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIds } from '../common/temporal';
import { normalizeSecurityAnswer } from '../domain/registration';
import { eventually } from './support/eventually';
import { apiClient } from './support/http';
import { freePort } from './support/ports';
import { accessKeyLink, isAccessKeyMail, PASSWORD, registration, signedInOffice, signInBody, signIn as signInFully } from './support/registration';
import { firstAdmin, signedInStaff, type SignedInStaff } from './support/staff';
import { startStack, type TestStack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';
import { spawnWorker, workerEnvFor } from './support/worker-process';
import { testEnv } from './support/env';

/**
 * Registration as a provider office lives it, through HTTP and the real SMTP capture: register,
 * read the email, follow the link, get activated, sign in. The worker's mail goes through a TCP
 * forwarder so that a test can make the mail server unreachable.
 */
let stack: TestStack;
let smtp: TcpProxy;
let api: ReturnType<typeof apiClient>;
/** A support staff member's session (Web Customer Service verifies what automatic checks could not). */
let SUPPORT: Record<string, string>;
let support: SignedInStaff;

beforeAll(async () => {
  const capture = new URL(testEnv('smtpUrl'));
  smtp = await TcpProxy.start({ host: capture.hostname, port: Number(capture.port) }, await freePort());
  stack = await startStack({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    ACCESS_KEY_MAX_SENDS: '3',
  });
  api = apiClient(stack.baseUrl);
  support = await signedInStaff(stack, await firstAdmin(stack), 'SUPPORT');
  SUPPORT = support.auth;
});
afterAll(async () => {
  await stack.stop();
  await smtp.down();
});

const mailsTo = async (to: string, match: (m: { subject: string }) => boolean = () => true) =>
  (await stack.mailbox.list(to)).filter(match);
const status = async (id: string) => (await api.get(`/api/registrations/${id}`)).body;
const userCount = () => stack.prisma.user.count();

async function registerAndConfirm(change?: (r: any) => void) {
  const r = registration(change);
  const created = await api.post('/api/registrations', r);
  expect(created.status).toBe(201);
  const link = await accessKeyLink(stack.mailbox, r.user.email);
  const confirmed = await api.get(link);
  expect(confirmed.status).toBe(200);
  return { r, registrationId: created.body.registrationId as string, confirmed: confirmed.body };
}

async function signIn(login: string, password = PASSWORD) {
  return signInFully(stack.baseUrl, login, password);
}

test('register, confirm the email, get activated automatically, sign in', async () => {
  const options = await api.get('/api/registration-options');
  expect(options.body.securityQuestions.length).toBeGreaterThanOrEqual(3);
  expect(options.body.roles.map((r: { id: string }) => r.id)).toEqual(['ORDERING_PROVIDER', 'SERVICING_PROVIDER', 'OFFICE_STAFF']);
  const plans = await api.get('/api/roster/tins/04-1234567/health-plans');
  expect(plans.body.plans.map((p: { id: string }) => p.id)).toEqual(['GLCH', 'NEBHP']);

  const r = registration();
  const created = await api.post('/api/registrations', r);
  expect(created.status).toBe(201);
  const { registrationId } = created.body;
  expect(created.body).toMatchObject({ status: 'PENDING_EMAIL', statusUrl: `/api/registrations/${registrationId}`, emailConfirmed: false });
  expect(created.body.message).toContain('emailed you a link');

  // Credentials do not work before the account is active.
  const early = await signIn(r.login.username);
  expect(early.status).toBe(403);
  expect(early.body.error).toMatchObject({ code: 'registration_pending', message: expect.stringContaining('Registration Pending') });

  const [mail] = await stack.mailbox.waitFor(r.user.email, { match: isAccessKeyMail });
  expect(mail!.text).toContain('Hello Dana Whitfield');
  const link = mail!.links.find((l) => l.includes('verify-email'))!;
  expect(link).toMatch(new RegExp(`^${stack.baseUrl}/api/registrations/verify-email\\?key=[\\w-]{32}$`));

  // A person follows the link in a browser.
  const page = await api.get(link, { accept: 'text/html' });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toContain('text/html');
  expect(page.body).toContain('Email address confirmed');
  expect(page.body).toContain('Your account is active');

  const activated = await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject === 'Your provider portal account is active' });
  expect(activated[0]!.text).toContain(`Your account ${r.login.username} has been verified`);
  expect(await status(registrationId)).toMatchObject({ status: 'ACTIVE', statusLabel: 'Active', emailConfirmed: true });

  // The link works once.
  const again = await api.get(link);
  expect(again.status).toBe(409);
  expect(again.body.error).toMatchObject({ code: 'key_used', message: expect.stringContaining('already used') });

  // Wrong password, then the right one (username in another case).
  const wrong = await signIn(r.login.username, 'not the password at all');
  expect(wrong.status).toBe(401);
  expect(wrong.body.error.code).toBe('invalid_credentials');
  const session = await signIn(r.login.username.toUpperCase());
  expect(session.status).toBe(201);
  expect(session.headers.get('set-cookie')).toMatch(/^pa_session=[\w-]+;.*HttpOnly;.*SameSite=Strict/i);
  expect(session.body.user).toMatchObject({
    userId: registrationId,
    username: r.login.username,
    tins: ['04-1234567'],
    healthPlans: [{ id: 'NEBHP', name: 'Northeast Blue Health Plan' }],
  });
  const bearer = { authorization: `Bearer ${session.body.token}` };
  expect((await api.get('/api/me', bearer)).body.email).toBe(r.user.email);

  // The first sign-in ends the registration workflow; its id says nothing about the person.
  const workflowId = workflowIds.registration(r.user.email, stack.config.workflowIdSecret);
  expect(workflowId).not.toContain('dana');
  const handle = stack.temporal.workflow.getHandle(workflowId);
  const result = await handle.result();
  expect(result).toMatchObject({ status: 'ACTIVE', accessKeySends: 1 });
  expect(result.firstSignInAt).toBeDefined();
  const described = await handle.describe();
  const attributes = JSON.stringify(described.typedSearchAttributes);
  expect(attributes).not.toContain(r.user.email);
  expect(attributes).toContain('REGISTRATION');

  // Signing in by email works too; signing out ends that session only.
  const byEmail = await signIn(r.user.email.toUpperCase());
  expect(byEmail.status).toBe(201);
  expect((await api.delete('/api/sessions/current', { authorization: `Bearer ${byEmail.body.token}` })).status).toBe(204);
  expect((await api.get('/api/me', { authorization: `Bearer ${byEmail.body.token}` })).status).toBe(401);
  expect((await api.get('/api/me', bearer)).status).toBe(200);

  // Secrets are stored as argon2id hashes; answers compare case- and space-insensitively.
  const row = await stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId }, include: { securityAnswers: true } });
  expect(row.passwordHash).toMatch(/^\$argon2id\$/);
  expect(JSON.stringify(row)).not.toContain(PASSWORD);
  const car = row.securityAnswers.find((a) => a.questionId === 'first-car')!;
  expect(car.answerHash).toMatch(/^\$argon2id\$/);
  expect(await argon2.verify(car.answerHash, normalizeSecurityAnswer('  volvo 240 '))).toBe(true);
  expect(row).toMatchObject({ termsVersion: r.terms.version, status: 'ACTIVE', decidedBy: 'automatic' });

  const actions = (await stack.prisma.auditEvent.findMany({ where: { subjectId: registrationId }, orderBy: { id: 'asc' } })).map((e) => e.action);
  expect(actions).toEqual([
    'registration.submitted',
    'registration.email_confirmed',
    'registration.verified',
    'registration.active',
    'session.sign_in_failed',
    'registration.first_sign_in',
    'mfa.enrolled',
    'session.signed_in',
    'session.signed_in',
    'session.signed_out',
  ]);
  // Exactly the two emails: the access key and the activation.
  expect((await mailsTo(r.user.email)).map((m) => m.subject).sort()).toEqual([
    'Confirm your email address to finish registering',
    'Your provider portal account is active',
  ]);
});

test('validate only returns the review summary and creates nothing; problems are listed all at once', async () => {
  const before = await userCount();
  const r = registration();
  const ok = await api.post('/api/registrations/validate', r);
  expect(ok.status).toBe(200);
  expect(ok.body.summary.user.phone).toEqual({ e164: '+16175550142', display: '(617) 555-0142' });
  expect(ok.body.summary.login.securityQuestions[0].answer).toBe('••••');
  expect(JSON.stringify(ok.body)).not.toContain(PASSWORD);
  expect(ok.body.plans).toEqual([{ id: 'NEBHP', name: 'Northeast Blue Health Plan' }]);
  expect(ok.body.organizationsOnFile).toEqual([{ name: 'Harborview Family Medicine, P.C.', tins: ['04-1234567'] }]);

  const bad = await api.post(
    '/api/registrations/validate',
    registration((x) => {
      x.user.phone = '555';
      x.login.passwordConfirmation = 'something else entirely';
      x.application.tins = ['04-1234567', '99-9999999'];
      x.application.planIds = ['NEBHP', 'PCSA', 'NOPE'];
      x.terms.accepted = false;
    }),
  );
  expect(bad.status).toBe(400);
  const fields = bad.body.error.details.problems.map((p: { field: string }) => p.field);
  expect(fields).toEqual(
    expect.arrayContaining([
      'body.user.phone',
      'body.login.passwordConfirmation',
      'body.application.tins.1',
      'body.application.planIds.1',
      'body.application.planIds.2',
      'body.terms.accepted',
    ]),
  );
  const message = (f: string) => bad.body.error.details.problems.find((p: { field: string }) => p.field === f).message;
  expect(message('body.application.tins.1')).toContain("TIN 99-9999999 is not on the health plans' roster");
  expect(message('body.application.planIds.1')).toContain('PCSA is not associated with the TINs given');
  expect(message('body.application.planIds.2')).toContain('There is no health plan "NOPE"');

  const refused = await api.post('/api/registrations', registration((x) => (x.application.tins = ['99-9999999'])));
  expect(refused.status).toBe(400);
  expect(await userCount()).toBe(before);
});

test('a taken username or email is a 409 and starts no second workflow', async () => {
  const { r } = await registerAndConfirm();

  const sameUsername = registration((x) => (x.login.username = r.login.username.toUpperCase()));
  const taken = await api.post('/api/registrations', sameUsername);
  expect(taken.status).toBe(409);
  expect(taken.body.error).toMatchObject({ code: 'already_registered', details: { problems: [{ field: 'body.login.username' }] } });
  await expect(
    stack.temporal.workflow.getHandle(workflowIds.registration(sameUsername.user.email, stack.config.workflowIdSecret)).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);

  const sameEmail = await api.post('/api/registrations', registration((x) => (x.user.email = r.user.email)));
  expect(sameEmail.status).toBe(409);
  expect(sameEmail.body.error.details.problems[0].field).toBe('body.user.email');

  // Two submissions of one email racing: the workflow id policy lets only one through.
  const racer = registration();
  const answers = await Promise.all([api.post('/api/registrations', racer), api.post('/api/registrations', racer)]);
  expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
  expect(await stack.prisma.user.count({ where: { email: racer.user.email } })).toBe(1);
  await stack.mailbox.waitFor(racer.user.email);
  await new Promise((res) => setTimeout(res, 300));
  expect(await mailsTo(racer.user.email)).toHaveLength(1);
});

test('a wrong key is refused; a resend replaces the older key; sends are limited', async () => {
  const r = registration();
  const { body } = await api.post('/api/registrations', r);
  const first = await accessKeyLink(stack.mailbox, r.user.email, 1);

  const wrong = await api.get(first.replace(/key=.*/, 'key=not-a-key-we-sent'));
  expect(wrong.status).toBe(404);
  expect(wrong.body.error).toMatchObject({ code: 'unknown_key', message: expect.stringContaining('not valid') });
  const missing = await api.get(first.replace(/\?key=.*/, ''));
  expect(missing.status).toBe(400);
  expect(missing.body.error.details.problems[0]).toMatchObject({ field: 'query.key' });

  const resent = await api.post(`/api/registrations/${body.registrationId}/access-key`);
  expect(resent.status).toBe(202);
  expect(resent.body).toMatchObject({ status: 'PENDING_EMAIL', accessKeySends: 2 });
  const second = await accessKeyLink(stack.mailbox, r.user.email, 2);
  expect(second).not.toBe(first);

  const replaced = await api.get(first);
  expect(replaced.status).toBe(409);
  expect(replaced.body.error).toMatchObject({
    code: 'key_replaced',
    details: { resendUrl: `/api/registrations/${body.registrationId}/access-key` },
  });

  expect((await api.post(`/api/registrations/${body.registrationId}/access-key`)).status).toBe(202);
  const limit = await api.post(`/api/registrations/${body.registrationId}/access-key`);
  expect(limit.status).toBe(409);
  expect(limit.body.error).toMatchObject({ code: 'cannot_resend', message: expect.stringContaining('already sent 3 times') });
  expect(await mailsTo(r.user.email, isAccessKeyMail)).toHaveLength(3);

  const third = await accessKeyLink(stack.mailbox, r.user.email, 3);
  expect((await api.get(second)).status).toBe(409);
  expect((await api.get(third)).status).toBe(200);
  expect(await status(body.registrationId)).toMatchObject({ status: 'ACTIVE' });
  const keys = await stack.prisma.accessKey.findMany({ where: { userId: body.registrationId }, orderBy: { sendNumber: 'asc' } });
  expect(keys.map((k) => [k.sendNumber, !!k.supersededAt, !!k.usedAt])).toEqual([
    [1, true, false],
    [2, true, false],
    [3, false, true],
  ]);
  expect(JSON.stringify(keys)).not.toContain(third.split('key=')[1]);
});

test('an organization name that does not match the roster waits for support, who approves', async () => {
  const { r, registrationId, confirmed } = await registerAndConfirm((x) => (x.user.organization.name = 'Harbour View Medical Group'));
  expect(confirmed).toMatchObject({ status: 'PENDING_ACTIVATION', statusLabel: 'Registration Pending' });
  expect(confirmed.message).toContain('Web Customer Service is verifying');

  const pending = await signIn(r.login.username);
  expect(pending.status).toBe(403);
  expect(pending.body.error.code).toBe('registration_pending');

  // Support endpoints need a support account: not signed in is 401, an office user 403.
  expect((await api.get('/api/support/registrations?waitingOnSupport=true')).status).toBe(401);
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.get('/api/support/registrations?waitingOnSupport=true', office.auth)).status).toBe(403);
  const queue = await api.get('/api/support/registrations?waitingOnSupport=true&limit=200', SUPPORT);
  expect(queue.status).toBe(200);
  const item = queue.body.registrations.find((x: { registrationId: string }) => x.registrationId === registrationId);
  expect(item.reviewReasons).toEqual([
    'The organization name "Harbour View Medical Group" does not match "Harborview Family Medicine, P.C.", the name on file for TIN 04-1234567',
  ]);

  const noReason = await api.post(`/api/support/registrations/${registrationId}/decision`, { decision: 'REJECT' }, SUPPORT);
  expect(noReason.status).toBe(400);
  expect(noReason.body.error.details.problems[0]).toMatchObject({ field: 'body.reason' });

  const approved = await api.post(`/api/support/registrations/${registrationId}/decision`, { decision: 'APPROVE' }, SUPPORT);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'ACTIVE' });
  await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject === 'Your provider portal account is active' });
  const twice = await api.post(`/api/support/registrations/${registrationId}/decision`, { decision: 'REJECT', reason: 'Changed my mind about this one' }, SUPPORT);
  expect(twice.status).toBe(409);

  expect((await signIn(r.login.username)).status).toBe(201);
  const decided = await stack.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: registrationId, action: 'registration.active' } });
  expect(decided.actor).toBe(`user:${support.userId}`);
  expect(decided.details).toMatchObject({ decidedBy: support.username });
});

test('support rejects with a reason: the office is emailed the reason and may register again', async () => {
  const { r, registrationId } = await registerAndConfirm((x) => {
    x.user.organization.name = 'Lakeshore Imaging';
    x.application.tins = ['04-1234567', '36-1112222'];
    x.application.planIds = ['GLCH'];
  });
  expect((await status(registrationId)).status).toBe('PENDING_ACTIVATION');
  const reason = 'TIN 04-1234567 does not belong to Lakeshore Imaging; register separately for each organization';
  const rejected = await api.post(`/api/support/registrations/${registrationId}/decision`, { decision: 'REJECT', reason }, SUPPORT);
  expect(rejected.status).toBe(200);
  expect(rejected.body.status).toBe('REJECTED');

  const [mail] = await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.includes('not approved') });
  expect(mail!.text).toContain(reason);
  expect(await status(registrationId)).toMatchObject({ status: 'REJECTED', reason });
  const refused = await signIn(r.login.username);
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('registration_rejected');

  // A rejected registration gives its username and email back: the office registers again.
  const again = registration((x) => {
    x.user.email = r.user.email;
    x.login.username = r.login.username;
    x.user.organization.name = 'Lakeshore Imaging Center';
    x.application.tins = ['36-1112222'];
    x.application.planIds = ['GLCH'];
  });
  const second = await api.post('/api/registrations', again);
  expect([second.status, second.body.error]).toEqual([201, undefined]);
  expect(second.body.registrationId).not.toBe(registrationId);
  // Its own emails: the same address (and workflow id) as the rejected one, a new registration.
  expect((await fetch(await accessKeyLink(stack.mailbox, r.user.email, 2), { headers: { accept: 'application/json' } })).status).toBe(200);
  await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject === 'Your provider portal account is active' });
  const old = await stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } });
  expect(old).toMatchObject({ email: null, releasedEmail: r.user.email, status: 'REJECTED' });
});

test('a signed-in office adds a health plan with another TIN of its organization, audited', async () => {
  const { r } = await registerAndConfirm((x) => {
    x.application.tins = ['04-1234568'];
    x.application.planIds = ['NEBHP'];
  });
  const session = await signIn(r.login.username);
  const auth = { authorization: `Bearer ${session.body.token}` };

  expect((await api.post('/api/me/health-plans', { planIds: ['GLCH'] })).status).toBe(401);
  const notOffered = await api.post('/api/me/health-plans', { planIds: ['GLCH'] }, auth);
  expect(notOffered.status).toBe(400);
  expect(notOffered.body.error.details.problems[0].message).toContain('GLCH is not associated with the TINs given');

  const other = await api.post('/api/me/health-plans', { planIds: ['GLCH'], tins: ['36-1112222'] }, auth);
  expect(other.status).toBe(409);
  expect(other.body.error.code).toBe('other_organization');

  const added = await api.post('/api/me/health-plans', { planIds: ['GLCH'], tins: ['041234567'] }, auth);
  expect(added.status).toBe(201);
  expect(added.body.tins).toEqual(['04-1234567', '04-1234568']);
  expect(added.body.healthPlans.map((p: { id: string }) => p.id)).toEqual(['GLCH', 'NEBHP']);

  const dup = await api.post('/api/me/health-plans', { planIds: ['GLCH'] }, auth);
  expect(dup.status).toBe(409);
  expect(dup.body.error.code).toBe('already_added');
  const event = await stack.prisma.auditEvent.findFirstOrThrow({ where: { subjectId: session.body.user.userId, action: 'profile.health_plans_added' } });
  expect(event.details).toEqual({ planIds: ['GLCH'], tins: ['041234567'] });
});

test('with the mail server unreachable the registration is still accepted, and the retried send delivers one email', async () => {
  await smtp.down();
  const r = registration();
  const created = await api.post('/api/registrations', r);
  expect(created.status).toBe(201);
  const workflowId = workflowIds.registration(r.user.email, stack.config.workflowIdSecret);
  const failing = await eventually(
    () => stack.prisma.emailDelivery.findUnique({ where: { workflowId_purpose: { workflowId, purpose: `access-key-1:${created.body.registrationId}` } } }),
    (d) => (d?.attempts ?? 0) >= 2,
    15_000,
  );
  expect(failing).toMatchObject({ status: 'SENDING', lastError: expect.stringContaining('ECONNREFUSED') });
  expect(failing!.attempts).toBeGreaterThanOrEqual(2);

  await smtp.up();
  const link = await accessKeyLink(stack.mailbox, r.user.email);
  await new Promise((res) => setTimeout(res, 500));
  expect(await mailsTo(r.user.email)).toHaveLength(1);
  expect((await api.get(link)).status).toBe(200);
});

test('the worker killed (SIGKILL) in the middle: the registration completes on a new worker, with no duplicate email', async () => {
  // The worker runs in its own process here, so that it can die the way a machine does.
  await stack.stopWorker();
  const env = workerEnvFor(stack.config, { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` });
  let worker = spawnWorker(env);
  try {
    await worker.ready;
    const r = registration();
    const created = await api.post('/api/registrations', r);
    expect(created.status).toBe(201);
    const link = await accessKeyLink(stack.mailbox, r.user.email);

    // Killed while the activation email cannot be sent: the send is being retried.
    await smtp.down();
    const following = api.get(link); // the office clicks; it answers once verification ran
    const workflowId = workflowIds.registration(r.user.email, stack.config.workflowIdSecret);
    await eventually(
      () => stack.prisma.emailDelivery.findUnique({ where: { workflowId_purpose: { workflowId, purpose: `registration-activated:${created.body.registrationId}` } } }),
      (d) => (d?.attempts ?? 0) >= 1,
      15_000,
    );
    expect(await worker.kill('SIGKILL')).toBeNull();
    expect((await following).status).toBe(200);
    await smtp.up();

    worker = spawnWorker(env);
    await worker.ready;
    // If the kill landed during a send, the server retries it once its 25 s start-to-close timeout passes.
    await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.includes('is active'), timeoutMs: 60_000 });
    expect((await signIn(r.login.username)).status).toBe(201);
    expect(await stack.temporal.workflow.getHandle(workflowId).result()).toMatchObject({ status: 'ACTIVE' });
    await new Promise((res) => setTimeout(res, 300));
    expect((await mailsTo(r.user.email)).map((m) => m.subject).sort()).toEqual([
      'Confirm your email address to finish registering',
      'Your provider portal account is active',
    ]);
  } finally {
    await smtp.up();
    await worker.kill('SIGTERM');
    await stack.startWorker();
  }
}, 120_000);

test('no worker running while the link is followed: the click waits and completes when a worker is back', async () => {
  const r = registration();
  const created = await api.post('/api/registrations', r);
  const link = await accessKeyLink(stack.mailbox, r.user.email);

  await stack.stopWorker();
  const following = api.get(link);
  await new Promise((res) => setTimeout(res, 1000));
  expect(await status(created.body.registrationId)).toMatchObject({ status: 'PENDING_EMAIL' });
  await stack.startWorker();

  expect((await following).status).toBe(200);
  await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.includes('is active') });
  expect((await signIn(r.login.username)).status).toBe(201);
  await new Promise((res) => setTimeout(res, 300));
  expect(await mailsTo(r.user.email)).toHaveLength(2);
});
