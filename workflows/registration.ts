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
import type { NewAccount } from '../activities/registrations';
import { searchAttributes } from '../common/searchAttributes';

/**
 * One provider registration, from submission to an active account (or rejection or expiry):
 * persist -> email an access key -> wait for the link -> verify automatically, or wait for a
 * support decision -> activation status email -> wait for the first sign-in. If the credentials
 * are not used within the sign-in window of registration, the account expires.
 */
export interface RegistrationInput {
  registrationId: string;
  account: NewAccount;
  policy: {
    accessKeyTtl: Duration;
    maxAccessKeySends: number;
    /** From registration to first sign-in, after which the account expires (60 days). */
    signInWindow: Duration;
  };
}

export type RegistrationState =
  | 'SUBMITTED'
  | 'DUPLICATE'
  | 'PENDING_EMAIL'
  | 'PENDING_ACTIVATION'
  | 'ACTIVE'
  | 'REJECTED'
  | 'EXPIRED';

export type WaitingOn = 'PROVIDER_EMAIL' | 'SUPPORT' | 'PROVIDER_SIGN_IN';

export interface RegistrationView {
  registrationId: string;
  status: RegistrationState;
  waitingOn?: WaitingOn;
  accessKeySends: number;
  accessKeyExpiresAt?: string;
  /** Why automatic verification handed the account to support. */
  reviewReasons: string[];
  /** The rejection reason, in the words support gave. */
  reason?: string;
  /** When the account expires unless the credentials are used to sign in. */
  expiresAt: string;
  firstSignInAt?: string;
}

export interface SupportDecision {
  decision: 'APPROVE' | 'REJECT';
  reason?: string;
  /** The support user's username (shown), and account id (audited). */
  decidedBy: string;
  decidedById?: string;
}

export const registrationStatusQuery = defineQuery<RegistrationView>('registrationStatus');
/** Sent with the start (update-with-start): answers once the account is persisted, or refuses a duplicate. */
export const submitRegistrationUpdate = defineUpdate<RegistrationView>('submitRegistration');
export const confirmEmailUpdate = defineUpdate<RegistrationView, [keyId: string]>('confirmEmail');
export const resendAccessKeyUpdate = defineUpdate<RegistrationView>('resendAccessKey');
export const decideRegistrationUpdate = defineUpdate<RegistrationView, [SupportDecision]>('decideRegistration');
export const recordSignInUpdate = defineUpdate<RegistrationView>('recordSignIn');
/** Support: write the registration's status to the database again, from this workflow (the mirror drifted). */
export const resyncRegistrationMirrorUpdate = defineUpdate<RegistrationView, [by: string]>('resyncRegistrationMirror');

export const DUPLICATE_ACCOUNT = 'DuplicateAccount';
export const MIN_REJECTION_REASON = 10;

// Each step is a few queries or one email: a worker that died mid-step is noticed after 25 s.
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '25s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

export async function registrationWorkflow(input: RegistrationInput): Promise<RegistrationView> {
  const { registrationId, policy } = input;
  const deadline = Date.now() + msToNumber(policy.signInWindow);
  const view: RegistrationView = {
    registrationId,
    status: 'SUBMITTED',
    accessKeySends: 0,
    reviewReasons: [],
    expiresAt: new Date(deadline).toISOString(),
  };
  let currentKey: { keyId: string; expiresAt: number } | undefined;
  let emailConfirmed = false;
  let decision: SupportDecision | undefined;
  let signInRequested = false;

  /** Waits for `fn` until the registration's deadline; false when the deadline came first. */
  const beforeDeadline = async (fn: () => boolean): Promise<boolean> => {
    const left = deadline - Date.now();
    return left > 0 ? condition(fn, left) : fn();
  };
  let shown: string | undefined;
  const show = (status: RegistrationState, waitingOn?: WaitingOn, dueAt?: number) => {
    view.status = status;
    view.waitingOn = waitingOn;
    const state = `${status}/${waitingOn ?? ''}`;
    upsertSearchAttributes([
      { key: searchAttributes.RecordStatus, value: status },
      { key: searchAttributes.WaitingOn, value: waitingOn ?? null },
      { key: searchAttributes.DueAt, value: dueAt ? new Date(dueAt) : null },
      ...(state !== shown ? [{ key: searchAttributes.StatusSince, value: new Date() }] : []),
    ]);
    shown = state;
  };
  let sending = false;
  const sendKey = async () => {
    sending = true;
    view.accessKeySends += 1;
    try {
      const key = await acts.issueAccessKey({ registrationId, sendNumber: view.accessKeySends, ttlMs: msToNumber(policy.accessKeyTtl) });
      currentKey = { keyId: key.keyId, expiresAt: Date.parse(key.expiresAt) };
      view.accessKeyExpiresAt = key.expiresAt;
      show('PENDING_EMAIL', 'PROVIDER_EMAIL', currentKey.expiresAt);
    } finally {
      sending = false;
    }
  };

  setHandler(registrationStatusQuery, () => view);

  setHandler(submitRegistrationUpdate, async () => {
    await condition(() => view.status !== 'SUBMITTED');
    if (view.status === 'DUPLICATE') {
      throw ApplicationFailure.create({ type: DUPLICATE_ACCOUNT, message: view.reason ?? 'An account with these details already exists' });
    }
    return view;
  });

  setHandler(
    confirmEmailUpdate,
    async (keyId: string) => {
      // The email leaves inside the activity that issues the key, so its link can be followed
      // before the workflow has the activity's result: wait for it, then check the key.
      await condition(() => !sending);
      if (!currentKey || keyId !== currentKey.keyId) {
        throw ApplicationFailure.create({ type: 'KeyReplaced', message: 'This link was replaced by a newer one: use the link in the most recent email' });
      }
      if (Date.now() >= currentKey.expiresAt) throw ApplicationFailure.create({ type: 'KeyExpired', message: 'This link has expired: ask for a new access key' });
      if (emailConfirmed) throw ApplicationFailure.create({ type: 'KeyUsed', message: alreadyPastEmail('PENDING_ACTIVATION') });
      emailConfirmed = true;
      await acts.markEmailConfirmed({ registrationId, keyId: currentKey!.keyId });
      show('PENDING_ACTIVATION');
      // The person who followed the link sees the outcome of automatic verification when it is
      // quick (it usually is), and "pending activation" otherwise.
      await condition(() => view.status !== 'PENDING_ACTIVATION' || view.waitingOn === 'SUPPORT', '10 seconds');
      return view;
    },
    {
      validator: (keyId: string) => {
        if (emailConfirmed || view.status !== 'PENDING_EMAIL') throw new Error(alreadyPastEmail(view.status));
        if (!keyId) throw new Error('The link has no key: use the whole link from the email');
      },
    },
  );

  setHandler(
    resendAccessKeyUpdate,
    async () => {
      await sendKey();
      return view;
    },
    {
      validator: () => {
        if (emailConfirmed || view.status !== 'PENDING_EMAIL') throw new Error(alreadyPastEmail(view.status));
        if (sending) throw new Error('A link is being sent right now: wait for it before asking for another');
        if (view.accessKeySends >= policy.maxAccessKeySends) {
          throw new Error(`The access key was already sent ${policy.maxAccessKeySends} times: contact support to finish registering`);
        }
      },
    },
  );

  setHandler(
    decideRegistrationUpdate,
    async (d: SupportDecision) => {
      decision = d;
      await condition(() => view.status === 'ACTIVE' || view.status === 'REJECTED' || view.status === 'EXPIRED');
      return view;
    },
    {
      validator: (d: SupportDecision) => {
        if (view.waitingOn !== 'SUPPORT' || decision) {
          throw new Error(`This registration is not waiting for a support decision (it is ${view.status.toLowerCase().replace('_', ' ')})`);
        }
        if (d.decision === 'REJECT' && (d.reason ?? '').trim().length < MIN_REJECTION_REASON) {
          throw new Error(`A rejection needs a reason of at least ${MIN_REJECTION_REASON} characters that the office will read`);
        }
      },
    },
  );

  setHandler(
    recordSignInUpdate,
    async () => {
      signInRequested = true;
      // Answer with the outcome: signed in, or expired in the same instant.
      await condition(() => view.firstSignInAt !== undefined || view.status !== 'ACTIVE');
      return view;
    },
    {
      validator: () => {
        if (view.status !== 'ACTIVE') throw new Error(`This account is ${view.status.toLowerCase().replace('_', ' ')}, not active`);
      },
    },
  );

  setHandler(
    resyncRegistrationMirrorUpdate,
    async (by: string): Promise<RegistrationView> => {
      await acts.mirrorRegistration({ registrationId, status: view.status as 'PENDING_EMAIL', reason: view.status === 'REJECTED' ? view.reason : view.reviewReasons.join('\n') || undefined, by });
      return view;
    },
    {
      validator: (_by: string) => {
        if (view.status === 'SUBMITTED' || view.status === 'DUPLICATE') throw new Error(`This registration has no database record to write (${view.status.toLowerCase()})`);
      },
    },
  );

  // 1. Persist. A username or email taken meanwhile ends the workflow; the submit update says why.
  try {
    await acts.createAccount({ registrationId, account: input.account });
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === DUPLICATE_ACCOUNT) {
      view.reason = err.cause.message;
      show('DUPLICATE');
      await condition(allHandlersFinished);
      return view;
    }
    throw err;
  }

  // 2. Prove the email address: send a key, wait for its link (resends come through the update).
  // The submission is answered now: a slow or failing mail server must not hold the office's page.
  show('PENDING_EMAIL', 'PROVIDER_EMAIL');
  await sendKey();
  if (!(await beforeDeadline(() => emailConfirmed && view.status === 'PENDING_ACTIVATION'))) {
    return expire();
  }

  // 3. Verify the account automatically, or hand it to support.
  const check = await acts.verifyAccount({ registrationId });
  if (!check.automatic) {
    view.reviewReasons = check.reasons;
    show('PENDING_ACTIVATION', 'SUPPORT', deadline);
    if (!(await beforeDeadline(() => decision !== undefined))) return expire();
  }

  if (decision?.decision === 'REJECT') {
    view.reason = decision.reason!.trim();
    await acts.recordRegistrationOutcome({ registrationId, status: 'REJECTED', reason: view.reason, decidedBy: decision.decidedBy, decidedById: decision.decidedById });
    show('REJECTED');
    await acts.sendRegistrationEmail({ registrationId, kind: 'rejected', reason: view.reason });
    await condition(allHandlersFinished);
    return view;
  }

  // 4. Active: tell the office, then wait for the credentials to be used.
  await acts.recordRegistrationOutcome({ registrationId, status: 'ACTIVE', decidedBy: decision?.decidedBy ?? 'automatic', decidedById: decision?.decidedById });
  show('ACTIVE', 'PROVIDER_SIGN_IN', deadline);
  await acts.sendRegistrationEmail({ registrationId, kind: 'activated', signInBy: view.expiresAt });
  if (!(await beforeDeadline(() => signInRequested))) return expire();

  const at = new Date().toISOString();
  await acts.recordFirstSignIn({ registrationId, at });
  view.firstSignInAt = at;
  show('ACTIVE');
  await condition(allHandlersFinished);
  return view;

  async function expire(): Promise<RegistrationView> {
    await acts.recordRegistrationOutcome({ registrationId, status: 'EXPIRED' });
    show('EXPIRED');
    await acts.sendRegistrationEmail({ registrationId, kind: 'expired' });
    await condition(allHandlersFinished);
    return view;
  }
}

function alreadyPastEmail(status: RegistrationState): string {
  switch (status) {
    case 'SUBMITTED':
      return 'This registration is still being saved: try again in a moment';
    case 'EXPIRED':
      return 'This registration has expired: register again';
    case 'REJECTED':
      return 'This registration was not approved';
    case 'DUPLICATE':
      return 'This registration was not created';
    default:
      return 'This email address is already confirmed: the link has been used';
  }
}
