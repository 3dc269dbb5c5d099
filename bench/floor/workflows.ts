import { condition, defineUpdate, proxyLocalActivities, setHandler, sleep } from '@temporalio/workflow';

/**
 * The least a case can be, for the benchmark's floor phase (bench/floor/measure.ts): what the
 * Temporal server and the SDK cost on this machine when the workflow does nothing of its own.
 */
const { step } = proxyLocalActivities<{ step(): Promise<string> }>({ startToCloseTimeout: '10s' });

export const openUpdate = defineUpdate<string>('open');

/** Started, then its first task sets the 60-day timer. */
export async function floorStart(): Promise<void> {
  await sleep('60 days');
}

/**
 * Started with an update that its first task answers, then the 60-day timer: the auto-approval's
 * shape. With `withStep`, the answer waits for one local activity that does nothing (the
 * auto-approval's opening step, without its database writes and letter).
 */
export async function floorUpdate(withStep: boolean): Promise<void> {
  let answer: string | undefined;
  setHandler(openUpdate, async () => {
    await condition(() => answer !== undefined);
    return answer!;
  });
  answer = withStep ? await step() : 'opened';
  await sleep('60 days');
}
