import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * Emails a sign-in code for an MFA challenge (the fallback when the authenticator app is not at
 * hand), once: a workflow so that the email survives a crash and is never sent twice.
 */
const { sendMfaEmailCode } = proxyActivities<Activities>({
  startToCloseTimeout: '25s',
  retry: { initialInterval: '1s', maximumInterval: '30s', backoffCoefficient: 2, maximumAttempts: 10 },
});

export async function mfaEmailCodeWorkflow(input: { challengeId: string; ttlMs: number }): Promise<void> {
  await sendMfaEmailCode(input);
}
