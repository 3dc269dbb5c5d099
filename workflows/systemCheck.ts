import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities';
import { searchAttributes } from '../common/searchAttributes';

/**
 * A deployment smoke check that an operator starts after installing or upgrading: it proves the
 * whole path (API -> Temporal -> worker -> database -> mail -> a person following a link) works.
 */
export interface SystemCheckInput {
  checkId: string;
  recipient: string;
  /** Secret carried in the emailed link; only its holder can confirm. */
  token: string;
  confirmUrl: string;
  /** How long to wait for the link to be followed (policy value, shortened in tests). */
  timeout: Duration;
}

export type SystemCheckState = 'PENDING' | 'MAILED' | 'CONFIRMED' | 'EXPIRED';

export interface SystemCheckView {
  checkId: string;
  state: SystemCheckState;
  mailedAt?: string;
  confirmedAt?: string;
}

export const systemCheckStatusQuery = defineQuery<SystemCheckView>('systemCheckStatus');
export const confirmSystemCheckUpdate = defineUpdate<SystemCheckView, [token: string]>('confirmSystemCheck');

const { recordSystemCheck, setSystemCheckStatus, sendEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export async function systemCheckWorkflow(input: SystemCheckInput): Promise<SystemCheckView> {
  const view: SystemCheckView = { checkId: input.checkId, state: 'PENDING' };
  const setState = async (state: SystemCheckState) => {
    view.state = state;
    const at = new Date().toISOString();
    if (state === 'MAILED') view.mailedAt = at;
    if (state === 'CONFIRMED') view.confirmedAt = at;
    upsertSearchAttributes([
      { key: searchAttributes.RecordStatus, value: state },
      { key: searchAttributes.WaitingOn, value: state === 'MAILED' ? 'RECIPIENT' : null },
    ]);
    await setSystemCheckStatus({ checkId: input.checkId, status: state, at });
  };

  setHandler(systemCheckStatusQuery, () => view);
  let mailedRecorded = false;
  setHandler(
    confirmSystemCheckUpdate,
    async () => {
      // The email leaves before MAILED is recorded, so a quick click can arrive first: wait for
      // the record (in order, so the mirror ends CONFIRMED), then confirm.
      await condition(() => mailedRecorded);
      if (view.state !== 'MAILED') {
        throw ApplicationFailure.create({ type: 'NotWaiting', message: `This check is ${view.state.toLowerCase()}, not waiting for confirmation` });
      }
      await setState('CONFIRMED');
      return view;
    },
    {
      validator: (token: string) => {
        if (view.state !== 'MAILED' && view.state !== 'PENDING') {
          throw new Error(`This check is ${view.state.toLowerCase()}, not waiting for confirmation`);
        }
        if (token !== input.token) throw new Error('The confirmation link is not valid for this check');
      },
    },
  );

  await recordSystemCheck({ checkId: input.checkId, workflowId: workflowInfo().workflowId, recipient: input.recipient });
  await sendEmail({
    purpose: 'system-check',
    to: input.recipient,
    subject: 'Prior authorization platform: system check',
    text:
      `This message was sent by a system check of the prior authorization platform.\n\n` +
      `Follow this link to confirm that mail reaches you:\n${input.confirmUrl}\n`,
  });
  await setState('MAILED');
  mailedRecorded = true;

  const confirmed = await condition(() => view.state === 'CONFIRMED', input.timeout);
  if (!confirmed) await setState('EXPIRED');
  // The confirming update mirrors its state in an activity: let it finish before completing.
  await condition(allHandlersFinished);
  return view;
}
