import { allHandlersFinished, condition, continueAsNew, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import type { MirrorAuditResult } from '../activities/support';

/**
 * Checks, every `interval`, that the database mirror says what the running cases and
 * registrations say (drift becomes a MIRROR_DRIFT problem on the support console). One per task
 * queue, started by the worker; `auditNow` runs a pass at once and answers with its result.
 */
export interface MirrorAuditInput {
  interval: Duration;
  /** Changes younger than this are in flight, not drift. */
  grace: Duration;
}

export const mirrorAuditWorkflowId = (taskQueue: string) => `mirror-audit-${taskQueue}`;
export const auditNowUpdate = defineUpdate<MirrorAuditResult>('auditNow');

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '5m', backoffCoefficient: 2 },
});

/**
 * A scheduled pass reads pages of 100 (about 70 ms of work for the dev server's SQLite and the
 * worker; a page of 500 was about 260 ms in one block) and pauses after each for twice its time.
 */
const SCHEDULED_PAGE_SIZE = 100;
const SCHEDULED_PACE = 2;

/** Passes per run before continue-as-new keeps the history short. */
const PASSES_PER_RUN = 100;

export async function mirrorAuditWorkflow(input: MirrorAuditInput): Promise<void> {
  const graceMs = msToNumber(input.grace);
  setHandler(auditNowUpdate, () => acts.auditMirrors({ graceMs }));
  for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
    // A scheduled pass is background work: it pauses between pages (see MirrorAuditArgs.pace).
    await acts.auditMirrors({ graceMs, pace: SCHEDULED_PACE, pageSize: SCHEDULED_PAGE_SIZE });
    await sleep(input.interval);
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof mirrorAuditWorkflow>(input);
}
