import { defaultPayloadConverter } from '@temporalio/common';
import { AsyncLocalStorage, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/**
 * The time an update was asked for, carried in the update's header (recorded in history with the
 * update itself) so that what an update handler stamps (a decision's time, its timeline events)
 * replays to the same value.
 *
 * The workflow's own clock does not, inside an update handler: the server may run an update on a
 * speculative workflow task, then record its acceptance in a later task that started after the
 * live run. The live run stamps the first task's time, a replay the second's (the chaos run saw a
 * physician's denial mirrored at 18.797 and replayed at 19.057, the recorded task scheduled at
 * 18.942), and the database mirror, written live, no longer equals the workflow.
 */
export const REQUESTED_AT_HEADER = 'requested-at';

const requestedAt = new AsyncLocalStorage<number>();

/**
 * Milliseconds for a stamp: inside an update handler (and whatever it awaits), the time the update
 * was asked for; elsewhere, and for an update sent without the header (tests driving Temporal
 * directly, histories recorded before it), the workflow's clock.
 */
export function stampTime(): number {
  return requestedAt.getStore() ?? Date.now();
}

/** Reads the header, if any, into the handler's context; a header that is not a time is ignored. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      handleUpdate(input, next) {
        const header = input.headers[REQUESTED_AT_HEADER];
        const at: unknown = header ? defaultPayloadConverter.fromPayload(header) : undefined;
        return typeof at === 'number' && Number.isFinite(at) ? requestedAt.run(at, () => next(input)) : next(input);
      },
    },
  ],
});
