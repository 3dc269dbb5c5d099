import { execFile } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { supportActivities, type MirrorAuditResult } from '../activities/support';
import { RETRY_WAIT_MS } from '../api/activityRetry';
import { totpCode } from '../domain/mfa';
import { members } from '../prisma/seed/reference';
import { testEnv } from './support/env';
import { eventually } from './support/eventually';
import { apiClient } from './support/http';
import { freePort } from './support/ports';
import { LUMBAR_MET, LUMBAR_NOT_MET, submitLumbarMri } from './support/cases';
import { accessKeyLink, registration, signedInOffice, signInBody } from './support/registration';
import { invitationLink, staffTeam, STAFF_PASSWORD } from './support/staff';
import { startStack, type TestStack } from './support/stack';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The support console against the real stack: each kind of stuck work is made to happen (the
 * mail server down, a review past its due time, a non-deterministic deploy, a mirror row changed
 * behind the system's back, a registration waiting on support), found on the stuck list with its
 * reason in plain words, and repaired through the `pa-support` command line; the audit log says
 * who repaired what and why. Expedited decisions are due in 6 s here.
 */
let stack: TestStack;
let smtp: TcpProxy;
let api: ReturnType<typeof apiClient>;
let team: Awaited<ReturnType<typeof staffTeam>>;
let office: Awaited<ReturnType<typeof signedInOffice>>;
let brokenBundle: string;

beforeAll(async () => {
  const capture = new URL(testEnv('smtpUrl'));
  smtp = await TcpProxy.start({ host: capture.hostname, port: Number(capture.port) }, await freePort());
  stack = await startStack({
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    STANDARD_DECISION_TIME: '1h',
    EXPEDITED_DECISION_TIME: '6s',
    MIRROR_AUDIT_GRACE: '1s',
    SUPPORT_DECISION_TIME: '2s',
  });
  api = apiClient(stack.baseUrl);
  const [t, o, bundle] = await Promise.all([
    staffTeam(stack, ['NEBHP']),
    signedInOffice(stack.baseUrl, stack.mailbox),
    bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'fixtures/nondeterministic-workflows.ts'), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never }),
  ]);
  [team, office] = [t, o];
  brokenBundle = path.join(mkdtempSync(path.join(tmpdir(), 'broken-bundle-')), 'bundle.js');
  writeFileSync(brokenBundle, bundle.code);
}, 120_000);
afterAll(async () => {
  await stack.stop();
  await smtp.down();
});

/** Runs `pa-support` as support staff do, signed in as the team's support member. */
function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['bin/pa-support.js', ...args],
      { cwd: path.join(__dirname, '..'), env: { ...process.env, PA_API_URL: stack.baseUrl, PA_SESSION_TOKEN: team.support.auth.authorization.slice(7), ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const today = new Date().toISOString().slice(0, 10);
// Members from the middle of the list: other suites take theirs from the start and the end.
const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id).slice(35);
const MET = LUMBAR_MET;
const NOT_MET = LUMBAR_NOT_MET;

const submit = (answers: object, urgency: 'STANDARD' | 'URGENT' = 'STANDARD') => submitLumbarMri(api, office.auth, { memberId: pool.shift()!, answers, urgency });

const stuckOf = async (workflowId: string) => ((await api.get('/api/support/stuck', team.support.auth)).body.stuck as { workflowId: string; reasons: { kind: string; text: string; activityId?: string; problemId?: string; attempts?: number }[] }[]).find((s) => s.workflowId === workflowId);
const repairs = (workflowId: string) => stack.prisma.auditEvent.findMany({ where: { subjectType: 'workflow', subjectId: workflowId, action: { startsWith: 'support.' } }, orderBy: { id: 'asc' } });
const letters = async (caseNumber: string) => (await stack.mailbox.list(office.email)).filter((m) => m.subject.includes(caseNumber));

test('mail server down: the office still gets its order number at once; the decision letter is listed as failing with attempts and the SMTP cause; retried now through the console', async () => {
  await smtp.down();
  let c: Awaited<ReturnType<typeof submit>>;
  try {
    // The immediate determination does not wait for the mail server.
    c = await submit(MET);
    const item = await eventually(() => stuckOf(c.workflowId), (s) => !!s?.reasons.some((r) => r.kind === 'ACTIVITY_RETRYING' && (r.attempts ?? 0) >= 3), 20_000);
    const reason = item!.reasons.find((r) => r.kind === 'ACTIVITY_RETRYING')!;
    expect(reason.text).toMatch(/^decision letter email failing for \d+ s \(\d+ attempts\): SMTP connection refused$/);
    // The letter's first try, inside the workflow task that answered the office, gave it to the
    // retrying step that support sees failing.
    const told = (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body.timeline.map((e: { text: string }) => e.text);
    expect(told).toEqual(expect.arrayContaining(['decision letter email: not sent on its first try, handed to a retrying step', 'decision letter email: started']));
    const listed = await cli(['stuck']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`CASE ${c.caseNumber}`);
    expect(listed.out).toContain('decision letter email failing for');
    expect(await letters(c.caseNumber)).toHaveLength(0);

    // Retry now: the attempt runs at once (the next one on its own would be seconds away), and
    // the count starts again at 1.
    expect((await cli(['retry', c.caseNumber, reason.activityId!])).err).toContain('retry needs --reason');
    const retried = await cli(['retry', c.caseNumber, reason.activityId!, '--reason', 'Checking the mail relay again after the fix']);
    expect([retried.code, retried.out]).toEqual([0, 'Retrying now: the attempt count starts again at 1\n']);
    const row = await eventually(
      () => stack.prisma.workflowProblem.findUniqueOrThrow({ where: { workflowId_kind_key: { workflowId: c.workflowId, kind: 'ACTIVITY_RETRYING', key: reason.activityId! } } }),
      (p) => p.attempts === 1,
      3_000,
    );
    expect(row.attempts).toBe(1);
  } finally {
    await smtp.up();
  }
  await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Prior authorization decision for case ${c.caseNumber}` });
  await eventually(() => stuckOf(c.workflowId), (s) => !s, 10_000);
  // The path of a letter handed to the retrying step replays (the replay suite keeps this history).
  const history = await stack.temporal.workflow.getHandle(c.workflowId).fetchHistory();
  await expect(Worker.runReplayHistory({ workflowBundle: { codePath: testEnv('bundlePath') } }, history, 'letter handed to the retrying step')).resolves.toBeUndefined();
  if (process.env.RECORD_HISTORIES) writeFileSync(path.join(__dirname, 'histories', 'case-letter-handed-to-retrying-step-v4.json'), historyToJSON(history));
  expect(await stuckOf(c.workflowId)).toBeUndefined();
  await new Promise((r) => setTimeout(r, 500));
  expect(await letters(c.caseNumber)).toHaveLength(1);
  const [audit] = await repairs(c.workflowId);
  expect(audit).toMatchObject({ actor: `user:${team.support.userId}`, action: 'support.activity_retried', details: expect.objectContaining({ reason: 'Checking the mail relay again after the fix', activityType: 'sendCaseEmail' }) });

  // The office says the letter never arrived: support sends it again, once, audited.
  const view = (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body;
  const purpose = view.emails.find((m: { subject: string }) => m.subject.startsWith('Prior authorization decision')).purpose as string;
  expect(purpose).toMatch(/^decision-\d+$/);
  const resent = await cli(['resend', c.caseNumber, purpose, '--reason', 'The office deleted the email by mistake']);
  expect(resent.code).toBe(0);
  await stack.mailbox.waitFor(office.email, { count: 2, match: (m) => m.subject === `Prior authorization decision for case ${c.caseNumber}` });
  expect((await repairs(c.workflowId)).map((a) => a.action)).toEqual(['support.activity_retried', 'support.letter_resent']);
});

test('retry now while an attempt is running: the console waits for it to end before resetting, so the next attempt starts at once; one still running after a few seconds is refused with what to do', async () => {
  // A mail server that accepts connections and never answers: each attempt hangs until cut.
  await smtp.stall(8_000);
  let c: Awaited<ReturnType<typeof submit>>;
  let activityId: string;
  try {
    c = await submit(MET);
    const handle = stack.temporal.workflow.getHandle(c.workflowId);
    const letterStep = async () => (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'sendCaseEmail');
    const running = await eventually(letterStep, (a) => a?.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED, 10_000);
    activityId = running!.activityId!;
    const retry = () => api.post(`/api/support/workflows/${c.workflowId}/activities/${activityId}/retry`, { reason: 'The mail relay was restarted' }, team.support.auth);

    // Hanging for 8 s: after waiting RETRY_WAIT_MS for it, the retry is refused, and nothing is reset.
    const asked = Date.now();
    const refused = await retry();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(RETRY_WAIT_MS - 100);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'attempt_running']);
    expect(refused.body.error.message).toMatch(
      /^Attempt 1 of the decision letter email has been running for \d+ s \(it is given up after 25 s\): retrying now would start the next attempt only once it has ended\. Try again when it ends/,
    );
    expect(await repairs(c.workflowId)).toEqual([]);

    // Asked again while it still hangs: the retry waits. A second later the mail server goes
    // down, the attempt fails at once, and only then does the retry reset. A reset while the
    // attempt ran would have dropped its failure (its task token names the old attempt count),
    // and the next attempt would have waited for the 25 s timeout.
    const again = Date.now();
    const waiting = retry();
    await new Promise((r) => setTimeout(r, 1_000));
    await smtp.down();
    const retried = await waiting;
    expect([retried.status, retried.body.message]).toEqual([202, 'Retrying now: the attempt count starts again at 1']);
    expect(Date.now() - again).toBeGreaterThanOrEqual(1_000);
    const resetAt = Date.now();
    await smtp.up();
    const [letter] = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Prior authorization decision for case ${c.caseNumber}`, timeoutMs: 10_000 });
    expect(letter).toBeDefined();
    expect(Date.now() - resetAt).toBeLessThan(10_000);
  } finally {
    await smtp.up();
  }
  await eventually(() => stuckOf(c.workflowId), (s) => !s, 10_000);
  const [audit, ...more] = await repairs(c.workflowId);
  expect(more).toEqual([]);
  expect(audit).toMatchObject({ action: 'support.activity_retried', details: expect.objectContaining({ activityType: 'sendCaseEmail', reason: 'The mail relay was restarted' }) });
  expect(await letters(c.caseNumber)).toHaveLength(1);
  // Sent, the step is no longer pending: nothing to retry.
  const late = await cli(['retry', c.caseNumber, activityId, '--reason', 'The mail relay was restarted']);
  expect([late.code, late.err]).toEqual([1, `pa-support: 404 not_pending: Activity ${activityId} is not pending in ${c.workflowId}: it finished, or the id is wrong\n`]);
});

test('a review past its due time is listed with how long it waited and how late it is; the case is reassigned through the console', async () => {
  const c = await submit(NOT_MET, 'URGENT');
  const atRisk = await api.get('/api/support/workflows?type=CASE&atRisk=true&waitingOn=NURSE', team.support.auth);
  expect(atRisk.body.workflows.map((w: { workflowId: string }) => w.workflowId)).toContain(c.workflowId);
  expect((await api.get('/api/support/workflows?type=CASE&inStateFor=1d', team.support.auth)).body.workflows.map((w: { workflowId: string }) => w.workflowId)).not.toContain(c.workflowId);
  const listed = await cli(['list', '--type', 'case', '--status', 'PENDED_NURSE', '--at-risk']);
  expect(listed.out).toMatch(new RegExp(`CASE ${c.caseNumber}  PENDED_NURSE, waiting on NURSE, for \\d+ s, due in \\d+ s`));

  const item = await eventually(() => stuckOf(c.workflowId), (s) => !!s?.reasons.some((r) => r.kind === 'OVERDUE'), 15_000);
  expect(item!.reasons.find((r) => r.kind === 'OVERDUE')!.text).toMatch(/^waiting on a nurse review for \d+ s, \d+ s past the decision due time \(20\d\d-.*Z\)$/);

  expect((await cli(['reassign', c.caseNumber, office.username, '--reason', 'Busy queue'])).err).toContain(`${office.username} is not an active nurse or physician of health plan NEBHP`);
  const moved = await cli(['reassign', c.caseNumber, team.nurse.username, '--reason', 'Nina covers the overdue expedited cases today']);
  expect([moved.code, moved.out]).toEqual([0, `${c.caseNumber}: assigned to ${team.nurse.username} (was nobody)\n`]);
  expect((await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: c.caseNumber } })).assignedTo).toBe(team.nurse.username);
  // A supervisor of the plan may reassign too; a nurse may not.
  expect((await api.post(`/api/support/cases/${c.caseNumber}/assignee`, { username: null, reason: 'Released for the night shift' }, team.supervisor.auth)).status).toBe(200);
  expect((await api.post(`/api/support/cases/${c.caseNumber}/assignee`, { username: null, reason: 'Trying my luck' }, team.nurse.auth)).status).toBe(403);
  expect((await repairs(c.workflowId)).map((a) => [a.action, a.actor, (a.details as { reason: string }).reason])).toEqual([
    ['support.reassigned', `user:${team.support.userId}`, 'Nina covers the overdue expedited cases today'],
    ['support.reassigned', `user:${team.supervisor.userId}`, 'Released for the night shift'],
  ]);

  // Support cancels for an office that called: decision C, the letter, the support user named.
  const cancelled = await cli(['cancel', c.caseNumber, '--reason', 'The office called: the patient moved to another plan']);
  expect(cancelled.code).toBe(0);
  const after = (await api.get(`/api/cases/${c.caseNumber}`, office.auth)).body;
  expect(after.exams[0]).toMatchObject({ status: 'CANCELLED', decisionCode: 'C', decidedBy: team.support.username });
  await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Case ${c.caseNumber} cancelled` });
});

test('a mirror row changed behind the system\'s back is found by the mirror audit and written again from the workflow', async () => {
  const c = await submit(NOT_MET);
  await eventually(async () => (await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: c.caseNumber } })).status, (s) => s === 'PENDED_NURSE');
  await stack.prisma.$executeRaw`UPDATE "Case" SET "status" = 'DECIDED', "waitingOn" = 'NOBODY' WHERE "caseNumber" = ${c.caseNumber}`;
  await new Promise((r) => setTimeout(r, 1_200)); // older than MIRROR_AUDIT_GRACE: not a step in flight
  const audited = await cli(['audit-mirror']);
  expect(audited.out).toMatch(/^Checked \d+ running workflows: [1-9]\d* drifted/);
  const item = await stuckOf(c.workflowId);
  expect(item!.reasons.map((r) => r.text).sort()).toEqual([
    'the database disagrees with the workflow: the workflow says status PENDED_NURSE, the database says DECIDED',
    'the database disagrees with the workflow: the workflow says waitingOn NURSE, the database says NOBODY',
  ]);
  const shown = await cli(['show', c.caseNumber]);
  expect(shown.out).toContain('mirror: the workflow says {"status":"PENDED_NURSE","waitingOn":"NURSE"}, the database {"status":"DECIDED","waitingOn":"NOBODY"}');

  const resynced = await cli(['resync', c.caseNumber, '--reason', 'Someone edited the row by hand during the data fix']);
  expect([resynced.code, resynced.out]).toEqual([0, 'The database mirror matches the workflow again.\n']);
  expect(await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: c.caseNumber } })).toMatchObject({ status: 'PENDED_NURSE', waitingOn: 'NURSE' });
  expect(await stuckOf(c.workflowId)).toBeUndefined();
  expect((await repairs(c.workflowId)).map((a) => [a.action, (a.details as { reason: string }).reason])).toEqual([['support.mirror_resynced', 'Someone edited the row by hand during the data fix']]);
});

test('a scheduled mirror audit pass pauses between its pages, and checks what an immediate pass checks', async () => {
  // Two drifted cases: at least two pages of one.
  const drifted = [await submit(NOT_MET), await submit(NOT_MET)];
  for (const c of drifted) {
    await eventually(async () => (await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: c.caseNumber } })).status, (s) => s === 'PENDED_NURSE');
    await stack.prisma.$executeRaw`UPDATE "Case" SET "status" = 'DECIDED', "waitingOn" = 'NOBODY' WHERE "caseNumber" = ${c.caseNumber}`;
  }
  await new Promise((r) => setTimeout(r, 1_200)); // older than the grace: not a step in flight
  const { auditMirrors } = supportActivities({ prisma: stack.prisma, temporal: stack.temporal });
  const env = new MockActivityEnvironment();
  const paced = (await env.run(auditMirrors, { graceMs: 1_000, pace: 2, pageSize: 1 })) as MirrorAuditResult;
  const atOnce = (await env.run(auditMirrors, { graceMs: 1_000, pageSize: 1 })) as MirrorAuditResult;
  expect(paced.pages).toBeGreaterThanOrEqual(2);
  expect(paced.pausedMs).toBeGreaterThan(0);
  expect(atOnce.pausedMs).toBe(0);
  // Other suites' workflows come and go meanwhile; these two are found drifted by both passes.
  expect(paced.drifted).toBeGreaterThanOrEqual(2);
  expect(atOnce.drifted).toBeGreaterThanOrEqual(2);
  for (const c of drifted) expect((await stuckOf(c.workflowId))!.reasons.map((r) => r.text)).toContain('the database disagrees with the workflow: the workflow says status PENDED_NURSE, the database says DECIDED');
});

test('the case view tells the history in plain words, with pending timers, emails and the Temporal Web UI link', async () => {
  const c = await submit(NOT_MET);
  const v = (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body;
  expect(v).toMatchObject({ recordType: 'CASE', execution: 'RUNNING', status: 'PENDED_NURSE', waitingOn: 'NURSE', record: { caseNumber: c.caseNumber }, mirror: { matches: true } });
  const texts = v.timeline.map((e: { text: string }) => e.text);
  expect(texts).toEqual(expect.arrayContaining(['started (caseWorkflowV4)', 'opening the case (checking the request and its guidelines): done', 'status PENDED_NURSE, waiting on a nurse review']));
  expect(texts.join('\n')).not.toMatch(/WorkflowTask|workflowTask/);
  expect(v.timers).toEqual([{ timerId: expect.any(String), firesAt: expect.any(String), what: 'the warning to the supervisor queue' }]);
  expect(v.webUiUrl).toBe(`${stack.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${c.workflowId}/${v.runId}/history`);
  // A nurse decision shows up with the nurse's name.
  expect((await api.post(`/api/review/cases/${c.caseNumber}/nurse-decision`, { action: 'ESCALATE', note: 'Needs a physician' }, team.nurse.auth)).status).toBe(200);
  const after = (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body;
  expect(after.timeline.map((e: { text: string }) => e.text)).toContain(`nurse ${team.nurse.username}: ESCALATE`);
  // Only support reads it.
  expect((await api.get(`/api/support/workflows/${c.workflowId}`, team.nurse.auth)).status).toBe(403);
});

test('a registration waiting on support past the promised time is listed; support sends a lost access key again', async () => {
  const r = registration((x) => (x.user.organization.name = 'Harbor View Medical Group'));
  const created = await api.post('/api/registrations', r);
  expect((await fetch(await accessKeyLink(stack.mailbox, r.user.email), { headers: { accept: 'application/json' } })).status).toBe(200);
  const workflowId = (await stack.prisma.user.findUniqueOrThrow({ where: { id: created.body.registrationId } })).workflowId!;
  const item = await eventually(() => stuckOf(workflowId), (s) => !!s, 15_000);
  expect(item).toMatchObject({ recordType: 'REGISTRATION', registrationId: created.body.registrationId, status: 'PENDING_ACTIVATION', waitingOn: 'SUPPORT' });
  expect(item!.reasons[0]!.text).toMatch(/^waiting on a support decision for \d+ s, longer than the 2s promised to offices$/);

  // Its mirror changed behind the system's back: found by the audit, written again from the workflow.
  await stack.prisma.user.update({ where: { id: created.body.registrationId }, data: { status: 'ACTIVE' } });
  expect((await cli(['audit-mirror'])).code).toBe(0);
  expect((await stuckOf(workflowId))!.reasons.map((x) => x.text)).toContain('the database disagrees with the workflow: the workflow says status PENDING_ACTIVATION, the database says ACTIVE');
  expect((await cli(['resync', created.body.registrationId, '--reason', 'A hand edit during the migration'])).out).toBe('The database mirror matches the workflow again.\n');
  expect((await stack.prisma.user.findUniqueOrThrow({ where: { id: created.body.registrationId } })).status).toBe('PENDING_ACTIVATION');

  const pending = registration();
  const p = await api.post('/api/registrations', pending);
  await accessKeyLink(stack.mailbox, pending.user.email);
  const sent = await cli(['access-key', p.body.registrationId, '--reason', 'The office cannot find the first email']);
  expect([sent.code, sent.out]).toEqual([0, 'A new access key link is on its way (send 2).\n']);
  await accessKeyLink(stack.mailbox, pending.user.email, 2);
});

test('pa-support login signs in with the password and a real TOTP code, keeps the session private, and refuses non-support accounts', async () => {
  // A support member who enrolled an app (here: by hand, to know its secret).
  const person = { firstName: 'Cleo', lastName: 'Cli', username: `cleo.cli.${Date.now()}`, email: `cleo.${Date.now()}@plan-staff.example` };
  expect((await api.post('/api/admin/staff', { ...person, accessRole: 'SUPPORT' }, team.admin.auth)).status).toBe(201);
  const { token } = await invitationLink(stack, person.email);
  expect((await api.post('/api/password-resets/complete', { token, password: STAFF_PASSWORD, passwordConfirmation: STAFF_PASSWORD })).status).toBe(200);
  const enroll = await api.post('/api/sessions', signInBody(person.username, STAFF_PASSWORD));
  const secret = enroll.body.mfa.enrollment.secret as string;
  const step = Math.floor(Date.now() / 30_000);
  expect((await api.post('/api/sessions/mfa', { challengeToken: enroll.body.mfa.challengeToken, code: totpCode(secret, step * 30_000 + 1_000) })).status).toBe(201);

  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pa-support-')), 'session.json');
  const env = { PA_SESSION_TOKEN: '', PA_SUPPORT_SESSION_FILE: file };
  const login = await cli(['login', '--username', person.username, '--accept-hipaa', '--password-stdin', '--code', totpCode(secret, (step + 1) * 30_000 + 1_000)], env, `${STAFF_PASSWORD}\n`);
  expect([login.code, login.err]).toEqual([0, '']);
  expect(login.out).toMatch(new RegExp(`^Signed in as ${person.username} until `));
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const stuck = await cli(['stuck'], env);
  expect(stuck.code).toBe(0);
  expect((await cli(['logout'], env)).out).toBe('Signed out.\n');
  const after = await cli(['stuck'], env);
  expect([after.code, after.err]).toEqual([1, expect.stringContaining('401 not_signed_in')]);

  // A nurse's account is not a support console account.
  const nurseLogin = await cli(['login', '--username', team.nurse.username, '--accept-hipaa', '--password-stdin', '--code', '000000'], env, `${STAFF_PASSWORD}\n`);
  expect(nurseLogin.code).toBe(1);
});

test('a deliberately non-deterministic deploy: the case is listed with its workflow code failing, then terminated and flagged for manual follow-up', async () => {
  const c = await submit(NOT_MET, 'URGENT');
  // The bad deploy: a worker with the changed workflow code replaces the good one.
  await stack.stopWorker();
  await stack.startWorker({ bundlePath: brokenBundle });
  try {
    // The case's next timer (80% of its 6 s) makes the new code replay the history: it cannot.
    const item = await eventually(() => stuckOf(c.workflowId), (s) => !!s?.reasons.some((r) => r.kind === 'WORKFLOW_TASK_FAILING'), 30_000);
    const reason = item!.reasons.find((r) => r.kind === 'WORKFLOW_TASK_FAILING')!;
    expect(reason.text).toMatch(/^the workflow code fails on every try, for \d+ s: the workflow code no longer matches the history it recorded \(non-determinism, usually a bad deploy\)/);
    const view = (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body;
    expect(view.workflowTask.failingAttempts).toBeGreaterThan(1);
    expect(view.timeline.map((e: { text: string }) => e.text).join('\n')).toContain('the workflow code failed: the workflow code no longer matches the history it recorded');

    const ended = await cli(['terminate', c.caseNumber, '--reason', 'Bad deploy 2026-12-01; the office is called to resubmit']);
    expect(ended.code).toBe(0);
    const flagged = await stuckOf(c.workflowId);
    expect(flagged!.reasons).toEqual([expect.objectContaining({ kind: 'MANUAL_FOLLOW_UP', text: `terminated by ${team.support.username} (Bad deploy 2026-12-01; the office is called to resubmit): finish it by hand, then resolve` })]);
    const done = await cli(['resolve', flagged!.reasons[0]!.problemId!, '--note', 'The office resubmitted as a new case']);
    expect(done.out).toBe(`Problem ${flagged!.reasons[0]!.problemId} resolved.\n`);
    expect(await stuckOf(c.workflowId)).toBeUndefined();
    expect((await repairs(c.workflowId)).map((a) => [a.action, a.actor])).toEqual([
      ['support.terminated', `user:${team.support.userId}`],
      ['support.problem_resolved', `user:${team.support.userId}`],
    ]);
  } finally {
    await stack.stopWorker();
    await stack.startWorker();
  }
}, 90_000);
