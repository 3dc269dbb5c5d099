import { defaultPayloadConverter } from '@temporalio/common';
import { currentUpdateInfo, type WorkflowInterceptorsFactory, workflowInfo } from '@temporalio/workflow';

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

/**
 * Request times of the updates running now, by run and update id. Not an AsyncLocalStorage of
 * our own: with one, the worker's memory after 600 to 700 auto-approvals was 1.3 to 1.4 GiB
 * against 0.7 to 0.8 without (bench, interleaved runs; async storages touch every promise of
 * every workflow). The SDK's own update scope already follows a handler through its awaits; its
 * id finds the time here.
 */
const requestTimes = new Map<string, number>();
const keyOf = (updateId: string) => `${workflowInfo().runId}/${updateId}`;

/**
 * Milliseconds for a stamp: inside an update handler (and whatever it awaits), the time the update
 * was asked for; elsewhere, and for an update sent without the header (tests driving Temporal
 * directly, histories recorded before it), the workflow's clock.
 */
export function stampTime(): number {
  const update = currentUpdateInfo();
  return (update && requestTimes.get(keyOf(update.id))) ?? Date.now();
}

/** Reads the header, if any, for the handler's run; a header that is not a time is ignored. */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async handleUpdate(input, next) {
        const header = input.headers[REQUESTED_AT_HEADER];
        const at: unknown = header ? defaultPayloadConverter.fromPayload(header) : undefined;
        if (!(typeof at === 'number' && Number.isFinite(at))) return next(input);
        const key = keyOf(input.updateId);
        requestTimes.set(key, at);
        try {
          return await next(input);
        } finally {
          requestTimes.delete(key);
        }
      },
    },
  ],
});
