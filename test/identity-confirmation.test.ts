import { identityConfirmationWorkflowId } from '../workflows/identityConfirmation';
import { eventually } from './support/eventually';
import { apiClient } from './support/http';
import { PASSWORD, signedInOffice, signInBody, signIn as signInFully } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * Unlocking an account locked for inactivity, as people live it: sign-in refuses, the person
 * starts a confirmation with their password, reads the emailed code and answers the security
 * question asked. Accounts lock after 3 s without a sign-in here; codes last 4 s.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
const CODE_TTL_MS = 4_000;
/** The answers `registration()` gives. */
const ANSWERS: Record<string, string> = { 'first-car': 'Volvo 240', 'birth-city': 'Worcester', 'first-pet': 'Biscuit' };
/** Every code and answer the tests use: none may reach the audit log. */
const secrets: string[] = [PASSWORD, ...Object.values(ANSWERS)];

beforeAll(async () => {
  stack = await startStack({ INACTIVITY_LOCK_AFTER: '3s', IDENTITY_CODE_TTL: '4s' });
  api = apiClient(stack.baseUrl);
});
afterAll(() => stack.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const signIn = (login: string, password = PASSWORD) => signInFully(stack.baseUrl, login, password);
const isCodeMail = (m: { subject: string }) => m.subject === 'Your provider portal identity code';
const start = (login: string, password = PASSWORD) => api.post('/api/identity-confirmations', { login, password });
const confirm = (id: string, code: string, answer: string) => api.post(`/api/identity-confirmations/${id}`, { code, answer });
const wrongAnswer = (questionId: string) => Object.values(ANSWERS).find((a) => a !== ANSWERS[questionId])!;
/** A 6-digit code that is not `code`. */
const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** An office whose account is locked for inactivity (sign-in said so). */
async function lockedOffice() {
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  await sleep(3_300);
  const refused = await signIn(office.username);
  expect(refused.status).toBe(403);
  expect(refused.body.error).toMatchObject({ code: 'account_inactive', message: expect.stringContaining('POST /api/identity-confirmations') });
  return office;
}

/** The code of the `n`th identity code email (1-based) to `to`. */
async function emailedCode(to: string, n = 1): Promise<string> {
  const mails = await stack.mailbox.waitFor(to, { count: n, match: isCodeMail });
  const code = /^\s+(\d{6})$/m.exec(mails[n - 1]!.text)?.[1];
  if (!code) throw new Error(`no code in: ${mails[n - 1]!.text}`);
  secrets.push(code);
  return code;
}

test('the emailed code and the right answer unlock an inactive account; the code works once', async () => {
  const office = await lockedOffice();

  const wrongPassword = await start(office.username, 'not the password at all');
  expect(wrongPassword.status).toBe(401);
  expect(wrongPassword.body.error.code).toBe('invalid_credentials');
  expect(await stack.mailbox.list(office.email).then((m) => m.filter(isCodeMail))).toEqual([]);

  const started = await start(office.email);
  expect(started.status).toBe(202);
  const { confirmationId, question, expiresAt } = started.body;
  expect(confirmationId).toMatch(/^[0-9a-f-]{36}$/);
  expect(Object.keys(ANSWERS)).toContain(question.id);
  expect(question.text).toMatch(/\?$/);
  expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(CODE_TTL_MS);
  const code = await emailedCode(office.email);
  expect(code).toMatch(/^\d{6}$/);

  // Both must be right; the refusal does not say which was wrong.
  const badAnswer = await confirm(confirmationId, code, wrongAnswer(question.id));
  expect(badAnswer.status).toBe(401);
  expect(badAnswer.body.error).toMatchObject({ code: 'identity_not_confirmed', details: { attemptsLeft: 4 } });
  const badCode = await confirm(confirmationId, otherCode(code), ANSWERS[question.id]!);
  expect(badCode.status).toBe(401);
  expect(badCode.body.error).toMatchObject({ code: 'identity_not_confirmed', details: { attemptsLeft: 3 } });
  expect((await signIn(office.username)).status).toBe(403);

  // The answer as typed differently: another case, extra spaces.
  const typed = `  ${ANSWERS[question.id]!.toUpperCase().split('').join(' ')}  `;
  const done = await confirm(confirmationId, code, typed);
  expect(done.status).toBe(200);
  expect(done.body.message).toContain('unlocked');

  const signedIn = await signIn(office.username);
  expect(signedIn.status).toBe(201);
  const user = await stack.prisma.user.findUniqueOrThrow({ where: { id: office.userId } });
  expect(user).toMatchObject({ inactivityLockedAt: null, failedSignIns: 0, lockedUntil: null });

  // The code works once.
  const again = await confirm(confirmationId, code, ANSWERS[question.id]!);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('confirmation_used');
  const notLocked = await start(office.username);
  expect(notLocked.status).toBe(409);
  expect(notLocked.body.error.code).toBe('not_locked_for_inactivity');

  // Only hashes are stored; the workflow ended confirmed and its id says nothing about the person.
  const row = await stack.prisma.identityConfirmation.findUniqueOrThrow({ where: { id: confirmationId } });
  expect(row).toMatchObject({ userId: office.userId, questionId: question.id, attempts: 3, confirmedAt: expect.any(Date) });
  expect(row.codeHash).not.toContain(code);
  const handle = stack.temporal.workflow.getHandle(identityConfirmationWorkflowId(confirmationId));
  expect(await handle.result()).toMatchObject({ status: 'CONFIRMED' });

  const events = await stack.prisma.auditEvent.findMany({ where: { subjectId: office.userId, action: { startsWith: 'identity.' } }, orderBy: { id: 'asc' } });
  expect(events.map((e) => e.action)).toEqual([
    'identity.confirmation_refused',
    'identity.confirmation_started',
    'identity.confirmation_failed',
    'identity.confirmation_failed',
    'identity.confirmed',
    'identity.confirmation_refused',
  ]);
  expect(events[2]!.details).toMatchObject({ confirmationId, codeRight: true, answerRight: false });
  expect(events[3]!.details).toMatchObject({ confirmationId, codeRight: false, answerRight: true });
  const logged = await stack.prisma.auditEvent.findMany({ where: { subjectId: office.userId }, select: { action: true, details: true } });
  const everything = JSON.stringify(logged).toLowerCase();
  for (const secret of secrets) expect(everything).not.toContain(secret.toLowerCase());
  expect(everything).not.toContain(normalized(ANSWERS[question.id]!));
});

const normalized = (answer: string) => answer.toLowerCase().replace(/\s+/g, '');

test('a code expires', async () => {
  const office = await lockedOffice();
  const started = await start(office.username);
  expect(started.status).toBe(202);
  const code = await emailedCode(office.email);
  await sleep(CODE_TTL_MS + 300);
  const late = await confirm(started.body.confirmationId, code, ANSWERS[started.body.question.id]!);
  expect(late.status).toBe(409);
  expect(late.body.error).toMatchObject({ code: 'confirmation_expired', details: { startUrl: '/api/identity-confirmations' } });
  const handle = stack.temporal.workflow.getHandle(identityConfirmationWorkflowId(started.body.confirmationId));
  expect(await handle.result()).toMatchObject({ status: 'EXPIRED' });
  expect((await signIn(office.username)).status).toBe(403);

  // Starting again sends a new code that works.
  const again = await start(office.username);
  expect(again.status).toBe(202);
  const code2 = await emailedCode(office.email, 2);
  expect((await confirm(again.body.confirmationId, code2, ANSWERS[again.body.question.id]!)).status).toBe(200);
  expect((await signIn(office.username)).status).toBe(201);
});

test('after 5 wrong attempts the confirmation must be started again', async () => {
  const office = await lockedOffice();
  const started = await start(office.username);
  expect(started.status).toBe(202);
  const { confirmationId, question } = started.body;
  const code = await emailedCode(office.email);
  for (let left = 4; left >= 0; left--) {
    const wrong = await confirm(confirmationId, code, wrongAnswer(question.id));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.details).toEqual({ attemptsLeft: left });
  }
  const right = await confirm(confirmationId, code, ANSWERS[question.id]!);
  expect(right.status).toBe(409);
  expect(right.body.error).toMatchObject({ code: 'too_many_attempts', message: expect.stringContaining('start again') });
  expect((await signIn(office.username)).status).toBe(403);
  const failed = await eventually(
    () => stack.prisma.auditEvent.count({ where: { subjectId: office.userId, action: 'identity.confirmation_failed' } }),
    (n) => n === 5,
  );
  expect(failed).toBe(5);
});
