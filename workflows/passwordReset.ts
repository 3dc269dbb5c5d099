import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import type { PasswordLinkPurpose, ResetTarget } from '../activities/passwordResets';
import { searchAttributes } from '../common/searchAttributes';

/**
 * One password link: issue a single-use token and email its link -> wait until the link is used
 * (password set, sessions revoked), replaced by a newer request, or expired. A reset for a login
 * without an active account ends at once, having sent nothing: the requester is answered the
 * same either way. An INVITATION is the same link for a new staff account: it sets the first
 * password and activates the account.
 */
export interface PasswordResetInput {
  resetId: string;
  target: ResetTarget;
  /** RESET when absent (histories from before invitations). */
  purpose?: PasswordLinkPurpose;
  /** `user` (self-service, unauthenticated) or `<role>:<username>` of the staff member who started it. */
  requestedBy: string;
  /** The account id of that staff member (the audit log's actor). */
  requestedById?: string;
  ttl: Duration;
  /** The requester's address, for the audit log. */
  ip?: string;
}

export type PasswordResetState = 'ISSUING' | 'NO_ACCOUNT' | 'AWAITING_USE' | 'USED' | 'REPLACED' | 'EXPIRED';

export interface PasswordResetView {
  resetId: string;
  status: PasswordResetState;
  expiresAt?: string;
  usedAt?: string;
}

export interface NewPassword {
  /** argon2id hash of the new password (the password itself never reaches a workflow). */
  passwordHash: string;
  ip?: string;
}

/** Opaque: a random id, nothing about the person. */
export const passwordResetWorkflowId = (resetId: string) => `password-reset-${resetId}`;

export const passwordResetStatusQuery = defineQuery<PasswordResetView>('passwordResetStatus');
export const completePasswordResetUpdate = defineUpdate<PasswordResetView, [NewPassword]>('completePasswordReset');
/** Sent by a newer reset of the same user: this link no longer works. */
export const passwordResetReplacedSignal = defineSignal('passwordResetReplaced');

export const RESET_NOT_USABLE = 'PasswordResetNotUsable';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '25s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export async function passwordResetWorkflow(input: PasswordResetInput): Promise<PasswordResetView> {
  const { resetId } = input;
  const view: PasswordResetView = { resetId, status: 'ISSUING' };
  let expiresAt = Infinity;
  let replaced = false;
  let using = false;

  const show = (status: PasswordResetState, waitingOn?: string) => {
    view.status = status;
    upsertSearchAttributes([
      { key: searchAttributes.RecordStatus, value: status },
      { key: searchAttributes.WaitingOn, value: waitingOn ?? null },
      { key: searchAttributes.DueAt, value: waitingOn ? new Date(expiresAt) : null },
    ]);
  };

  setHandler(passwordResetStatusQuery, () => view);
  setHandler(passwordResetReplacedSignal, () => {
    replaced = true;
  });

  setHandler(
    completePasswordResetUpdate,
    async (password: NewPassword) => {
      using = true;
      try {
        // The link can be followed the moment the email arrives, before issuing has reported back.
        await condition(() => view.status !== 'ISSUING');
        const refused = refusal();
        if (refused) throw ApplicationFailure.create({ type: RESET_NOT_USABLE, message: refused });
        await acts.completePasswordReset({ resetId, passwordHash: password.passwordHash, ip: password.ip });
        view.usedAt = new Date().toISOString();
        show('USED');
        return view;
      } catch (err) {
        // The database refused (replaced or expired a moment ago): the caller gets its reason.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === RESET_NOT_USABLE) {
          throw ApplicationFailure.create({ type: RESET_NOT_USABLE, message: err.cause.message });
        }
        throw err;
      } finally {
        using = false;
      }
    },
    {
      validator: (_password: NewPassword) => {
        const refused = view.status === 'ISSUING' ? undefined : refusal();
        if (refused) throw new Error(refused);
        if (using) throw new Error('This link is being used right now: wait a moment and sign in with the new password');
      },
    },
  );

  /** Why the link cannot set a password now, in the words the person sees; undefined when it can. */
  function refusal(): string | undefined {
    if (view.status === 'USED') return 'This link was already used: sign in with your new password, or ask for a new link';
    if (replaced || view.status === 'REPLACED') return 'This link was replaced by a newer one: use the link in the most recent email';
    if (view.status === 'EXPIRED' || (view.status === 'AWAITING_USE' && Date.now() >= expiresAt)) {
      return 'This link has expired: ask for a new password reset link';
    }
    if (view.status === 'NO_ACCOUNT') return 'This link is not valid';
    return undefined;
  }

  const purpose = input.purpose ?? 'RESET';
  const issued = await acts.issuePasswordReset({
    resetId,
    purpose,
    target: input.target,
    requestedBy: input.requestedBy,
    requestedById: input.requestedById,
    ttlMs: msToNumber(input.ttl),
    ip: input.ip,
  });
  if (!issued) {
    show('NO_ACCOUNT');
    await condition(allHandlersFinished);
    return view;
  }
  expiresAt = Date.parse(issued.expiresAt);
  view.expiresAt = issued.expiresAt;
  show('AWAITING_USE', 'ACCOUNT_HOLDER');

  // End the workflows of the links this one replaced (those already closed ignore it).
  await Promise.all(
    issued.replacedIds.map((id) =>
      getExternalWorkflowHandle(passwordResetWorkflowId(id))
        .signal(passwordResetReplacedSignal)
        .catch(() => undefined),
    ),
  );

  const settled = () => view.status === 'USED' || (replaced && !using);
  const left = expiresAt - Date.now();
  if (!(left > 0 ? await condition(settled, left) : settled())) {
    // A password being set as the time runs out finishes first (the database decides which).
    await condition(() => !using);
  }
  if (view.status === 'USED') {
    // A reset is confirmed by email, so that a change the holder did not make is noticed.
    if (purpose === 'RESET') await acts.sendPasswordChangedEmail({ resetId });
  } else {
    show(replaced ? 'REPLACED' : 'EXPIRED');
  }
  await condition(allHandlersFinished);
  return view;
}
