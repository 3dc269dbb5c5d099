import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowIds } from '../common/temporal';
import { testEnv } from './support/env';
import { apiClient } from './support/http';
import { accessKeyLink, registration, signedInOffice } from './support/registration';
import { fixtures, members } from '../prisma/seed/reference';
import { startStack, type TestStack } from './support/stack';

/**
 * Determinism guard: today's workflow code must replay the histories that earlier code
 * recorded. test/histories/ keeps histories from released versions (write a new one with
 * RECORD_HISTORIES=1 when a workflow changes shape, and keep the old ones).
 */
const HISTORIES = path.join(__dirname, 'histories');
const STAFF_TOKEN = 'staff-token-for-replay-tests';
const replayOptions = () => ({ workflowBundle: { codePath: testEnv('bundlePath') } });

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ STAFF_API_TOKEN: STAFF_TOKEN });
});
afterAll(() => stack.stop());

async function confirmedSystemCheckHistory() {
  const to = `replay-${randomUUID()}@example.org`;
  const res = await fetch(`${stack.baseUrl}/api/system-checks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: to }),
  });
  const { checkId } = (await res.json()) as { checkId: string };
  const [mail] = await stack.mailbox.waitFor(to);
  expect((await fetch(mail!.links[0]!)).status).toBe(200);
  const handle = stack.temporal.workflow.getHandle(workflowIds.systemCheck(checkId));
  await handle.result();
  return handle.fetchHistory();
}

test('a history recorded now replays on the current workflow code', async () => {
  const history = await confirmedSystemCheckHistory();
  await expect(Worker.runReplayHistory(replayOptions(), history)).resolves.toBeUndefined();
  if (process.env.RECORD_HISTORIES) {
    writeFileSync(path.join(HISTORIES, 'system-check-confirmed.json'), historyToJSON(history));
  }
});

/** Registered, email confirmed, activated automatically, first sign-in: the registration's whole happy path. */
async function activatedRegistrationHistory() {
  const api = apiClient(stack.baseUrl);
  const r = registration();
  expect((await api.post('/api/registrations', r)).status).toBe(201);
  expect((await api.get(await accessKeyLink(stack.mailbox, r.user.email))).status).toBe(200);
  expect((await api.post('/api/sessions', { login: r.login.username, password: r.login.password })).status).toBe(201);
  const handle = stack.temporal.workflow.getHandle(workflowIds.registration(r.user.email, stack.config.workflowIdSecret));
  await handle.result();
  return handle.fetchHistory();
}

test('a registration history recorded now replays on the current workflow code', async () => {
  const history = await activatedRegistrationHistory();
  await expect(Worker.runReplayHistory(replayOptions(), history)).resolves.toBeUndefined();
  if (process.env.RECORD_HISTORIES) {
    writeFileSync(path.join(HISTORIES, 'registration-activated.json'), historyToJSON(history));
  }
});

/** A case on each review path: approved at once; pended and approved by a nurse; escalated and denied. */
async function caseHistories() {
  const api = apiClient(stack.baseUrl);
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  const staff = (role: string) => ({ authorization: `Bearer ${STAFF_TOKEN}`, 'x-staff-user': `replay.${role.toLowerCase()}`, 'x-staff-role': role });
  // From the end of the list: cases.test.ts takes members from the start (the duplicate rule).
  const eligible = members.filter((m) => m.planId === 'NEBHP' && !m.eligibleTo && m.eligibleFrom <= '2026-01-01').reverse();
  const flags = { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false };
  const paths = {
    'case-approved-at-once': { answers: { ...flags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true }, review: [] },
    'case-nurse-approved': { answers: { ...flags, symptomPattern: 'radiculopathy', conservativeCare: false }, review: [['nurse-decision', 'NURSE', { action: 'APPROVE', exams: [1] }]] },
    'case-physician-denied': {
      answers: { ...flags, symptomPattern: 'back_only', conservativeCare: false },
      review: [
        ['nurse-decision', 'NURSE', { action: 'ESCALATE', note: 'No conservative care' }],
        ['physician-decision', 'PHYSICIAN', { action: 'DENY', exam: 1, reason: 'No conservative care was tried before imaging was requested', guidelineReference: 'IMG-LSPINE-MRI-NEBHP v1' }],
      ],
    },
  } as const;
  const out: Record<string, Awaited<ReturnType<ReturnType<typeof stack.temporal.workflow.getHandle>['fetchHistory']>>> = {};
  let i = 0;
  for (const [name, p] of Object.entries(paths)) {
    const content = {
      memberId: eligible[i++]!.id,
      orderingProviderNpi: fixtures.harborviewPhysician,
      urgency: 'STANDARD',
      dateOfService: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10),
      exams: [{ procedureCode: '72148', diagnosisCodes: ['M54.16'], answers: p.answers, servicingProviderNpi: fixtures.bostonMriFacility }],
    };
    const draft = await api.post('/api/drafts', content, office.auth);
    const submitted = await api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth);
    expect(submitted.status).toBe(201);
    for (const [step, role, body] of p.review) {
      expect((await api.post(`/api/review/cases/${submitted.body.caseNumber}/${step}`, body, staff(role))).status).toBe(200);
    }
    out[name] = await stack.temporal.workflow.getHandle(`case-${draft.body.draftId}`).fetchHistory();
  }
  return out;
}

test('case histories recorded now replay on the current workflow code', async () => {
  for (const [name, history] of Object.entries(await caseHistories())) {
    await expect(Worker.runReplayHistory(replayOptions(), history, name)).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES) writeFileSync(path.join(HISTORIES, `${name}.json`), historyToJSON(history));
  }
});

test('every committed history replays on the current workflow code', async () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  expect(files).toEqual(
    expect.arrayContaining(['system-check-confirmed.json', 'registration-activated.json', 'case-approved-at-once.json', 'case-nurse-approved.json', 'case-physician-denied.json']),
  );
  for (const file of files) {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
    await expect(Worker.runReplayHistory(replayOptions(), history, file)).resolves.toBeUndefined();
  }
});

test('replay detects a history the code would not produce', async () => {
  const history = await confirmedSystemCheckHistory();
  // As if an earlier version had called a different activity first.
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'someRemovedActivity' };
  await expect(Worker.runReplayHistory(replayOptions(), history)).rejects.toBeInstanceOf(DeterminismViolationError);
});
