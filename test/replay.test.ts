import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowIds } from '../common/temporal';
import { testEnv } from './support/env';
import { apiClient } from './support/http';
import { accessKeyLink, registration } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * Determinism guard: today's workflow code must replay the histories that earlier code
 * recorded. test/histories/ keeps histories from released versions (write a new one with
 * RECORD_HISTORIES=1 when a workflow changes shape, and keep the old ones).
 */
const HISTORIES = path.join(__dirname, 'histories');
const replayOptions = () => ({ workflowBundle: { codePath: testEnv('bundlePath') } });

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
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

test('every committed history replays on the current workflow code', async () => {
  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
  expect(files).toEqual(expect.arrayContaining(['system-check-confirmed.json', 'registration-activated.json']));
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
