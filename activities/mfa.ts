import { hashCode, newEmailCode } from '../domain/mfa';
import { currentWorkflowId, deliverOnce, type MailDeps } from './mail';

export function mfaActivities(deps: MailDeps) {
  const { prisma } = deps;
  return {
    /** A new 6-digit code for the challenge (only its hash is kept), emailed once. */
    async sendMfaEmailCode(args: { challengeId: string; ttlMs: number }): Promise<void> {
      await deliverOnce(deps, currentWorkflowId(), 'mfa-code', async () => {
        const challenge = await prisma.mfaChallenge.findUniqueOrThrow({ where: { id: args.challengeId } });
        const user = await prisma.user.findUniqueOrThrow({ where: { id: challenge.userId } });
        const code = newEmailCode();
        const expiresAt = new Date(Date.now() + args.ttlMs);
        await prisma.mfaChallenge.update({ where: { id: challenge.id }, data: { emailCodeHash: hashCode(code), emailCodeExpiresAt: expiresAt } });
        return {
          to: user.email!,
          subject: 'Your provider portal sign-in code',
          text: [
            `Hello ${user.firstName} ${user.lastName},`,
            '',
            `Your sign-in code is ${code}. It works once, until ${expiresAt.toUTCString()}.`,
            '',
            'If you did not try to sign in, change your password: someone knows it.',
          ].join('\n'),
        };
      });
    },
  };
}
