import { randomInt } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { audit } from '../common/audit';
import { hashCode, newEmailCode } from '../domain/mfa';
import { securityQuestionText } from '../domain/registration';
import { currentWorkflowId, deliverOnce, type MailDeps } from './mail';

// The workflow's CONFIRMATION_NOT_USABLE (activities do not import workflow code).
const CONFIRMATION_NOT_USABLE = 'IdentityConfirmationNotUsable';

const notUsable = (message: string) => ApplicationFailure.create({ type: CONFIRMATION_NOT_USABLE, nonRetryable: true, message });

export function identityConfirmationActivities(deps: MailDeps) {
  const { prisma } = deps;
  const when = (d: Date) => d.toUTCString().replace('GMT', 'UTC');

  return {
    /**
     * Picks one of the user's security questions at random and emails a 6-digit code, once; only
     * the code's hash is stored. Null when the account is not (or no longer) locked for inactivity,
     * or has no security answers: nothing is sent.
     */
    async issueIdentityConfirmation(args: {
      confirmationId: string;
      userId: string;
      ttlMs: number;
      ip?: string;
    }): Promise<{ expiresAt: string; question: { id: string; text: string } } | null> {
      const { confirmationId, ip } = args;
      const u = await prisma.user.findUnique({ where: { id: args.userId }, include: { securityAnswers: { select: { questionId: true } } } });
      const reason = !u
        ? 'unknown_user'
        : !u.inactivityLockedAt
          ? 'not_locked'
          : u.status !== 'ACTIVE' || u.disabledAt || !u.email
            ? 'not_active'
            : !u.securityAnswers.length
              ? 'no_security_answers'
              : undefined;
      if (!u || reason) {
        await audit(prisma, {
          actor: u ? `user:${u.id}` : 'anonymous',
          action: 'identity.confirmation_refused',
          subjectType: 'user',
          subjectId: u?.id ?? args.userId,
          details: { confirmationId, reason: reason! },
          ip,
        });
        return null;
      }
      const email = u.email!;

      await deliverOnce(deps, currentWorkflowId(), 'identity-code', async () => {
        const code = newEmailCode();
        const now = new Date();
        const expiresAt = new Date(now.getTime() + args.ttlMs);
        const retry = await prisma.identityConfirmation.findUnique({ where: { id: confirmationId } });
        if (retry) {
          // The email was not sent last time: a new code replaces the one nobody received (same question).
          await prisma.identityConfirmation.update({ where: { id: confirmationId }, data: { codeHash: hashCode(code), createdAt: now, expiresAt } });
        } else {
          const questionId = u.securityAnswers[randomInt(u.securityAnswers.length)]!.questionId;
          await prisma.$transaction(async (tx) => {
            await tx.identityConfirmation.create({ data: { id: confirmationId, userId: u.id, codeHash: hashCode(code), questionId, createdAt: now, expiresAt } });
            await audit(tx, {
              actor: `user:${u.id}`,
              action: 'identity.confirmation_started',
              subjectType: 'user',
              subjectId: u.id,
              details: { confirmationId, questionId, expiresAt: expiresAt.toISOString() },
              ip,
            });
          });
        }
        return {
          to: email,
          subject: 'Your provider portal identity code',
          text: [
            `Hello ${u.firstName} ${u.lastName},`,
            '',
            `Your provider portal account ${u.username} was locked because it was not used for a long time.`,
            'To unlock it, enter this code together with the answer to the security question shown to you:',
            '',
            `    ${code}`,
            '',
            `The code works once and until ${when(expiresAt)}.`,
            '',
            'If you did not try to sign in, call Web Customer Service: someone knows your password.',
          ].join('\n'),
        };
      });

      const row = await prisma.identityConfirmation.findUniqueOrThrow({ where: { id: confirmationId } });
      return {
        expiresAt: row.expiresAt.toISOString(),
        question: { id: row.questionId, text: securityQuestionText(row.questionId) ?? row.questionId },
      };
    },

    /**
     * Unlocks the account once the API has checked the code and the answer (they never reach here):
     * clears the inactivity lock and any sign-in lock, audited without secrets. A non-retryable
     * IdentityConfirmationNotUsable failure says why not (expired, or a race lost).
     */
    async confirmIdentity(args: { confirmationId: string; ip?: string }): Promise<void> {
      const now = new Date();
      const refused = await prisma.$transaction(async (tx) => {
        const { count } = await tx.identityConfirmation.updateMany({
          where: { id: args.confirmationId, confirmedAt: null, expiresAt: { gt: now } },
          data: { confirmedAt: now },
        });
        const row = await tx.identityConfirmation.findUniqueOrThrow({ where: { id: args.confirmationId } });
        if (!count) {
          if (row.confirmedAt) return undefined; // a retry after the unlock was committed
          return 'This code has expired: start again to get a new one';
        }
        await tx.user.update({
          where: { id: row.userId },
          // Confirming identity counts as use of the account: lastSignInAt moves to now, so that
          // the next sign-in (whose inactivity check reads lastSignInAt ?? firstSignInAt) does not
          // lock the account again at once.
          data: { inactivityLockedAt: null, failedSignIns: 0, lockedUntil: null, lastSignInAt: now },
        });
        await audit(tx, {
          actor: `user:${row.userId}`,
          action: 'identity.confirmed',
          subjectType: 'user',
          subjectId: row.userId,
          details: { confirmationId: row.id, questionId: row.questionId, attempts: row.attempts },
          ip: args.ip,
        });
        return undefined;
      });
      if (refused) throw notUsable(refused);
    },
  };
}
