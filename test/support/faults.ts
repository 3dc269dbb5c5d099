import { createHash } from 'node:crypto';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * "The worker died after the write": an activity attempt does its work (the row is committed,
 * the email is accepted) and then fails as if the process had been killed before Temporal heard
 * the result, so Temporal runs it again. Only a step that recognizes its own earlier work (its
 * idempotency record) survives this without doing it twice.
 *
 * Which attempts fail is decided by a hash of the workflow and the activity, not at random: the
 * same run fails the same steps every time. Only first attempts fail, so every step succeeds on
 * its retry.
 */
export interface AfterWorkFaults {
  /** Fraction of first attempts (0 to 1) that fail after their work. */
  rate: number;
  /** Activity types that may fail (all when absent). */
  activities?: string[];
  /** Told of each injected failure. */
  onInjected?: (fault: { workflowId: string; activityType: string; local: boolean }) => void;
}

const AFTER_WORK_FAILURE = 'AfterWorkFault';

function shouldFailAfterWork(rate: number, workflowId: string, activityKey: string): boolean {
  if (rate <= 0) return false;
  const h = createHash('sha256').update(`${workflowId}/${activityKey}`).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < rate;
}

export function failAfterWork(faults: AfterWorkFaults): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const info = ctx.info;
        const workflowId = info.workflowExecution?.workflowId;
        if (!workflowId || info.attempt !== 1) return result;
        if (faults.activities && !faults.activities.includes(info.activityType)) return result;
        // The activity id tells two calls of one type in a run apart (the second order number).
        if (!shouldFailAfterWork(faults.rate, workflowId, `${info.activityType}/${info.activityId}`)) return result;
        faults.onInjected?.({ workflowId, activityType: info.activityType, local: info.isLocal });
        const err = new Error(`${info.activityType} did its work and then failed before reporting it (injected)`);
        err.name = AFTER_WORK_FAILURE;
        throw err;
      },
    },
  });
}
