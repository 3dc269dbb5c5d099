import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { attemptUnderway, NO_WORKER_AFTER_MS, runningInWords, whenRetryable } from '../api/activityRetry';

/**
 * When support's "retry now" resets an activity: never while an attempt runs or is about to
 * start (Temporal would then drop that attempt's result and wait for its timeout). The pending
 * activity is read through a function here; the support console suite drives the real thing.
 */
const { PendingActivityState: S } = temporal.api.enums.v1;
const ts = msToTs;
const T = 1_800_000_000_000;

describe('attemptUnderway', () => {
  test('a running attempt, or one being cancelled or paused, is underway', () => {
    for (const state of [S.PENDING_ACTIVITY_STATE_STARTED, S.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED, S.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED]) {
      expect(attemptUnderway({ state }, T, 500)).toBe(true);
    }
  });
  test('a scheduled attempt is underway only when it starts within the margin', () => {
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED, nextAttemptScheduleTime: ts(T + 499) }, T, 500)).toBe(true);
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED, nextAttemptScheduleTime: ts(T + 500) }, T, 500)).toBe(false);
    // Just due: a worker may be taking it now.
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED, nextAttemptScheduleTime: ts(T - 1) }, T, 500)).toBe(true);
    // Due long ago and not started (no worker to take it): a reset supersedes the dispatched task.
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED, nextAttemptScheduleTime: ts(T - NO_WORKER_AFTER_MS) }, T, 500)).toBe(false);
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED }, T, 500)).toBe(false);
    expect(attemptUnderway({ state: S.PENDING_ACTIVITY_STATE_PAUSED }, T, 500)).toBe(false);
  });
});

describe('whenRetryable', () => {
  /** A clock that the waits advance, and a read that answers from a script of states. */
  const scripted = (states: (temporal.api.workflow.v1.IPendingActivityInfo | undefined)[]) => {
    let now = T;
    let reads = 0;
    return {
      reads: () => reads,
      read: async () => states[Math.min(reads++, states.length - 1)],
      opts: { waitMs: 5000, marginMs: 500, pollMs: 100, now: () => now, sleep: async (ms: number) => void (now += ms) },
      elapsed: () => now - T,
    };
  };
  const running = { state: S.PENDING_ACTIVITY_STATE_STARTED, attempt: 3 };
  const backingOff = { state: S.PENDING_ACTIVITY_STATE_SCHEDULED, attempt: 3, nextAttemptScheduleTime: ts(T + 60_000) };

  test('ready at once when the activity waits out a backoff', async () => {
    const s = scripted([backingOff]);
    expect(await whenRetryable(s.read, s.opts)).toEqual({ kind: 'ready', pending: backingOff });
    expect([s.reads(), s.elapsed()]).toEqual([1, 0]);
  });
  test('waits for a running attempt to end, then is ready', async () => {
    const s = scripted([running, running, running, backingOff]);
    expect(await whenRetryable(s.read, s.opts)).toEqual({ kind: 'ready', pending: backingOff });
    expect([s.reads(), s.elapsed()]).toEqual([4, 300]);
  });
  test('an attempt that succeeds while it waits leaves nothing to retry', async () => {
    const s = scripted([running, undefined]);
    expect(await whenRetryable(s.read, s.opts)).toEqual({ kind: 'finished' });
  });
  test('an attempt still running after the wait is reported, not reset', async () => {
    const s = scripted([running]);
    expect(await whenRetryable(s.read, s.opts)).toEqual({ kind: 'running', pending: running });
    expect(s.elapsed()).toBe(5000);
    expect(s.reads()).toBe(51);
  });
});

test('runningInWords says which attempt, for how long, its limit, and what to do', () => {
  const pending = { state: S.PENDING_ACTIVITY_STATE_STARTED, attempt: 2, activityType: { name: 'sendCaseEmail' }, lastStartedTime: ts(T - 7_400), activityOptions: { startToCloseTimeout: ts(25_000) } };
  expect(runningInWords(pending, T)).toBe(
    'Attempt 2 of the case email has been running for 7 s (it is given up after 25 s): retrying now would start the next attempt only once it has ended. Try again when it ends (the workflow view shows the attempt)',
  );
  expect(runningInWords(pending, T, 'decision letter email')).toMatch(/^Attempt 2 of the decision letter email has been running for 7 s /);
  expect(runningInWords({ state: S.PENDING_ACTIVITY_STATE_SCHEDULED, activityType: { name: 'sendCaseEmail' } }, T)).toMatch(/^The next attempt of the case email is starting now: /);
});
