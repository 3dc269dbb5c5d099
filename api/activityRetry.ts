import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { activityLabel } from '../domain/problems';

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
const { PendingActivityState } = temporal.api.enums.v1;

/**
 * When support's "retry now" may reset a failing activity. Temporal's ResetActivity sets the
 * attempt count to 1 at once, also while an attempt is running; that attempt's result then no
 * longer matches its task token and is dropped, so the next attempt starts only when the running
 * one times out (start-to-close, 25 s here): "now" would become "in up to 25 s". So the reset
 * waits for a running attempt to end, and for one about to start (due within `marginMs`: 500 ms, so
 * that it cannot start between reading the state and resetting), for at most `waitMs`.
 */
export type RetryReadiness =
  | { kind: 'ready'; pending: PendingActivity }
  /** It finished (succeeded, or failed for good) while the retry waited: nothing to retry. */
  | { kind: 'finished' }
  /** An attempt is still running (or about to start) after `waitMs`. */
  | { kind: 'running'; pending: PendingActivity };

export interface RetryWaitOptions {
  waitMs: number;
  marginMs: number;
  pollMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A scheduled attempt due this long ago and still not started has no worker taking it (all
 * down, say): resetting it is safe, since the reset supersedes the task already handed out.
 * Due more recently, a worker may be picking it up this very moment.
 */
export const NO_WORKER_AFTER_MS = 2000;

/** Whether an attempt of this pending activity runs now, or may start within `marginMs` of `now`. */
export function attemptUnderway(pending: PendingActivity, now: number, marginMs: number): boolean {
  const state = pending.state ?? PendingActivityState.PENDING_ACTIVITY_STATE_UNSPECIFIED;
  if (state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED || state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED || state === PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED) return true;
  const next = optionalTsToMs(pending.nextAttemptScheduleTime);
  return state === PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED && next !== undefined && next > now - NO_WORKER_AFTER_MS && next < now + marginMs;
}

/** Reads the pending activity until it may be reset, has finished, or `waitMs` has passed. */
export async function whenRetryable(read: () => Promise<PendingActivity | undefined>, opts: RetryWaitOptions): Promise<RetryReadiness> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const deadline = now() + opts.waitMs;
  for (;;) {
    const pending = await read();
    if (!pending) return { kind: 'finished' };
    if (!attemptUnderway(pending, now(), opts.marginMs)) return { kind: 'ready', pending };
    if (now() >= deadline) return { kind: 'running', pending };
    await sleep(Math.min(opts.pollMs, Math.max(1, deadline - now())));
  }
}

/** How long "retry now" waits for a running attempt to end before saying to try again later. */
export const RETRY_WAIT_MS = 5000;

/**
 * Support's answer when an attempt is still running: which, for how long, and what to do.
 * `label`: what the activity does, from its scheduling event (its arguments name the letter).
 */
export function runningInWords(pending: PendingActivity, now: number, label = activityLabel(pending.activityType?.name ?? '')): string {
  const started = optionalTsToMs(pending.lastStartedTime);
  const running = pending.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED && started !== undefined;
  const limit = optionalTsToMs(pending.activityOptions?.startToCloseTimeout);
  const what = running
    ? `Attempt ${pending.attempt ?? 1} of the ${label} has been running for ${Math.max(0, Math.round((now - started) / 1000))} s${limit ? ` (it is given up after ${Math.round(limit / 1000)} s)` : ''}`
    : `The next attempt of the ${label} is starting now`;
  return `${what}: retrying now would start the next attempt only once it has ended. Try again when it ends (the workflow view shows the attempt)`;
}
