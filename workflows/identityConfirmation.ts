import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import { searchAttributes } from '../common/searchAttributes';

/**
 * Unlocking an account locked for inactivity: email a 6-digit code once and pick one of the
 * user's security questions -> wait until the code and the answer are given (checked by the API,
 * which never hands them to the workflow), or the code expires. The password was checked before
 * the workflow started. Neither the code nor the answer ever reaches workflow history.
 */
export interface IdentityConfirmationInput {
  confirmationId: string;
  userId: string;
  ttl: Duration;
  /** The requester's address, for the audit log. */
  ip?: string;
}

export type IdentityConfirmationState = 'ISSUING' | 'NOT_POSSIBLE' | 'AWAITING_ANSWER' | 'CONFIRMED' | 'EXPIRED';

export interface IdentityConfirmationView {
  confirmationId: string;
  status: IdentityConfirmationState;
  /** The security question asked (not secret: the answer is). */
  question?: { id: string; text: string };
  expiresAt?: string;
  confirmedAt?: string;
}

/** Opaque: a random id, nothing about the person. */
export const identityConfirmationWorkflowId = (confirmationId: string) => `identity-confirmation-${confirmationId}`;

export const identityConfirmationStatusQuery = defineQuery<IdentityConfirmationView>('identityConfirmationStatus');
/** Answers once the code was emailed and the question chosen (or that neither is possible). */
export const identityConfirmationIssuedUpdate = defineUpdate<IdentityConfirmationView>('identityConfirmationIssued');
/** Sent by the API after it checked the code and the answer: unlocks the account. */
export const confirmIdentityUpdate = defineUpdate<IdentityConfirmationView, [{ ip?: string }]>('confirmIdentity');

export const CONFIRMATION_NOT_USABLE = 'IdentityConfirmationNotUsable';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '25s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export async function identityConfirmationWorkflow(input: IdentityConfirmationInput): Promise<IdentityConfirmationView> {
  const { confirmationId } = input;
  const view: IdentityConfirmationView = { confirmationId, status: 'ISSUING' };
  let expiresAt = Infinity;
  let confirming = false;

  const show = (status: IdentityConfirmationState, waitingOn?: string) => {
    view.status = status;
    upsertSearchAttributes([
      { key: searchAttributes.RecordStatus, value: status },
      { key: searchAttributes.WaitingOn, value: waitingOn ?? null },
      { key: searchAttributes.DueAt, value: waitingOn ? new Date(expiresAt) : null },
    ]);
  };

  setHandler(identityConfirmationStatusQuery, () => view);
  setHandler(identityConfirmationIssuedUpdate, async () => {
    await condition(() => view.status !== 'ISSUING');
    return view;
  });

  /** Why the account cannot be unlocked with this confirmation now; undefined when it can. */
  function refusal(): string | undefined {
    if (view.status === 'CONFIRMED') return 'Your identity was already confirmed with this code: sign in';
    if (view.status === 'EXPIRED' || (view.status === 'AWAITING_ANSWER' && Date.now() >= expiresAt)) {
      return 'This code has expired: start again to get a new one';
    }
    if (view.status === 'NOT_POSSIBLE') return 'This confirmation is not valid: start again';
    return undefined;
  }

  setHandler(
    confirmIdentityUpdate,
    async ({ ip }: { ip?: string }) => {
      confirming = true;
      try {
        await condition(() => view.status !== 'ISSUING');
        const refused = refusal();
        if (refused) throw ApplicationFailure.create({ type: CONFIRMATION_NOT_USABLE, message: refused });
        await acts.confirmIdentity({ confirmationId, ip });
        view.confirmedAt = new Date().toISOString();
        show('CONFIRMED');
        return view;
      } catch (err) {
        // The database refused (expired a moment ago): the caller gets its reason.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === CONFIRMATION_NOT_USABLE) {
          throw ApplicationFailure.create({ type: CONFIRMATION_NOT_USABLE, message: err.cause.message });
        }
        throw err;
      } finally {
        confirming = false;
      }
    },
    {
      validator: (_confirm: { ip?: string }) => {
        const refused = view.status === 'ISSUING' ? undefined : refusal();
        if (refused) throw new Error(refused);
        if (confirming) throw new Error('Your identity is being confirmed right now: wait a moment and sign in');
      },
    },
  );

  const issued = await acts.issueIdentityConfirmation({
    confirmationId,
    userId: input.userId,
    ttlMs: msToNumber(input.ttl),
    ip: input.ip,
  });
  if (!issued) {
    show('NOT_POSSIBLE');
    await condition(allHandlersFinished);
    return view;
  }
  expiresAt = Date.parse(issued.expiresAt);
  view.expiresAt = issued.expiresAt;
  view.question = issued.question;
  show('AWAITING_ANSWER', 'ACCOUNT_HOLDER');

  const left = expiresAt - Date.now();
  const settled = () => view.status === 'CONFIRMED';
  if (!(left > 0 ? await condition(settled, left) : settled())) {
    // A confirmation under way as the time runs out finishes first (the database decides).
    await condition(() => !confirming);
  }
  if (view.status !== 'CONFIRMED') show('EXPIRED');
  await condition(allHandlersFinished);
  return view;
}
