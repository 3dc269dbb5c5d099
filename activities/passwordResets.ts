import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { audit } from '../common/audit';
import { currentWorkflowId, deliverOnce, type MailDeps } from './mail';
import { hashToken } from '../common/tokens';
import type { PasswordLinkPurpose, User } from '../generated/prisma/client';

/** Whose password: a login as typed (self-service; may match nobody) or a user id (staff). */
export type ResetTarget = { login: string } | { userId: string };
export type { PasswordLinkPurpose };

// The workflow's RESET_NOT_USABLE (activities do not import workflow code).
const RESET_NOT_USABLE = 'PasswordResetNotUsable';

const notUsable = (message: string) => ApplicationFailure.create({ type: RESET_NOT_USABLE, nonRetryable: true, message });

export function passwordResetActivities(deps: MailDeps & { publicBaseUrl: string }) {
  const { prisma } = deps;
  const when = (d: Date) => d.toUTCString().replace('GMT', 'UTC');

  /** The same lookup as sign-in: an email address, or a username in any case. */
  const accountOf = (target: ResetTarget) => {
    if ('userId' in target) return prisma.user.findUnique({ where: { id: target.userId } });
    const login = target.login.trim().toLowerCase();
    return prisma.user.findFirst({ where: login.includes('@') ? { email: login } : { usernameKey: login } });
  };

  /** Why this link may not be issued for the account, or undefined when it may. */
  const notEligible = (u: User | null, purpose: PasswordLinkPurpose): string | undefined => {
    if (!u) return 'unknown_login';
    if (u.disabledAt) return 'disabled';
    if (!u.email) return 'no_email';
    if (purpose === 'INVITATION') return u.accessRole !== 'PROVIDER' && u.status === 'PENDING_EMAIL' ? undefined : `invitation_for_${u.status.toLowerCase()}`;
    return u.status === 'ACTIVE' ? undefined : `status_${u.status.toLowerCase()}`;
  };

  const invitationText = (u: User, link: string, expiresAt: Date) => [
    `Hello ${u.firstName} ${u.lastName},`,
    '',
    `An administrator created a prior-authorization portal account for you: username ${u.username}.`,
    'Follow this link to choose your password:',
    link,
    '',
    `The link works once and until ${when(expiresAt)}; after that, ask your administrator for a new one.`,
    'When you first sign in, you will set up an authenticator app for multi-factor sign-in.',
  ];

  return {
    /**
     * Issues the reset's token (replacing the user's older unused links) and emails its link,
     * once; only the token's hash is stored. Null when no active account matches: nothing is
     * sent, and the requester was answered the same as for an account.
     */
    async issuePasswordReset(args: {
      resetId: string;
      /** RESET when absent (workflows started before invitations). */
      purpose?: PasswordLinkPurpose;
      target: ResetTarget;
      requestedBy: string;
      requestedById?: string;
      ttlMs: number;
      ip?: string;
    }): Promise<{ expiresAt: string; replacedIds: string[] } | null> {
      const { resetId, requestedBy, ip } = args;
      const purpose = args.purpose ?? 'RESET';
      const u = await accountOf(args.target);
      // Self-service requests are unauthenticated: whoever asked is anonymous until the link is used.
      const actor = args.requestedById ? `user:${args.requestedById}` : requestedBy === 'user' ? 'anonymous' : requestedBy;
      const refused = notEligible(u, purpose);
      if (refused || !u?.email) {
        await audit(prisma, {
          actor,
          action: purpose === 'INVITATION' ? 'account.invitation_refused' : 'password.reset_refused',
          subjectType: 'user',
          subjectId: u?.id ?? '-',
          details: { resetId, reason: refused ?? 'no_email' },
          ip,
        });
        return null;
      }
      const email = u.email;

      await deliverOnce(deps, currentWorkflowId(), purpose === 'INVITATION' ? 'invitation' : 'password-reset', async () => {
        const token = randomBytes(24).toString('base64url');
        const now = new Date();
        const expiresAt = new Date(now.getTime() + args.ttlMs);
        await prisma.$transaction(async (tx) => {
          // Requests of one user take turns, so that exactly one link is left working.
          await tx.$queryRaw`SELECT 1 FROM "User" WHERE "id" = ${u.id}::uuid FOR UPDATE`;
          await tx.passwordReset.updateMany({
            where: { userId: u.id, id: { not: resetId }, usedAt: null, supersededAt: null },
            data: { supersededAt: now },
          });
          const retry = await tx.passwordReset.findUnique({ where: { id: resetId }, select: { id: true } });
          if (retry) {
            // The email was not sent last time: a new token replaces the one nobody received.
            await tx.passwordReset.update({ where: { id: resetId }, data: { tokenHash: hashToken(token), createdAt: now, expiresAt } });
            return;
          }
          await tx.passwordReset.create({
            data: { id: resetId, userId: u.id, purpose, tokenHash: hashToken(token), requestedBy, createdAt: now, expiresAt },
          });
          await audit(tx, {
            actor,
            action: purpose === 'INVITATION' ? 'account.invitation_sent' : 'password.reset_requested',
            subjectType: 'user',
            subjectId: u.id,
            details: { resetId, requestedBy, expiresAt: expiresAt.toISOString() },
            ip,
          });
        });
        const link = `${deps.publicBaseUrl}/api/password-resets/complete?token=${token}`;
        if (purpose === 'INVITATION') {
          return { to: email, subject: 'Set up your prior-authorization portal account', text: invitationText(u, link, expiresAt).join('\n') };
        }
        return {
          to: email,
          subject: 'Reset your provider portal password',
          text: [
            `Hello ${u.firstName} ${u.lastName},`,
            '',
            requestedBy === 'user'
              ? `We received a request to reset the password of your provider portal account ${u.username}.`
              : requestedBy.startsWith('admin:')
                ? `An administrator started a password reset of your portal account ${u.username}.`
                : `Web Customer Service started a password reset of your provider portal account ${u.username}, as you asked.`,
            'Follow this link to choose a new password:',
            link,
            '',
            `The link works once and until ${when(expiresAt)}. A newer request replaces it.`,
            'When the new password is set, every signed-in session of the account ends.',
            '',
            'If you did not ask for this, ignore this message: your password stays the same.',
          ].join('\n'),
        };
      });

      const reset = await prisma.passwordReset.findUniqueOrThrow({ where: { id: resetId } });
      // The links replaced meanwhile whose workflows may still be waiting.
      const replaced = await prisma.passwordReset.findMany({
        where: { userId: u.id, id: { not: resetId }, supersededAt: { not: null }, usedAt: null, expiresAt: { gt: new Date() } },
        select: { id: true },
      });
      return { expiresAt: reset.expiresAt.toISOString(), replacedIds: replaced.map((r) => r.id) };
    },

    /**
     * Sets the new password if the link is still usable (the database decides races with a newer
     * request or the expiry), ends every session of the user and clears a sign-in lock; audited
     * without the token or password. A non-retryable PasswordResetNotUsable failure says why not.
     */
    async completePasswordReset(args: { resetId: string; passwordHash: string; ip?: string }): Promise<{ sessionsRevoked: number }> {
      const now = new Date();
      const outcome = await prisma.$transaction(async (tx) => {
        const { count } = await tx.passwordReset.updateMany({
          where: { id: args.resetId, usedAt: null, supersededAt: null, expiresAt: { gt: now } },
          data: { usedAt: now },
        });
        const reset = await tx.passwordReset.findUniqueOrThrow({ where: { id: args.resetId } });
        if (!count) {
          if (reset.usedAt) {
            const u = await tx.user.findUniqueOrThrow({ where: { id: reset.userId }, select: { passwordHash: true } });
            // A retry after the change was committed.
            if (u.passwordHash === args.passwordHash) return { sessionsRevoked: 0 };
            return 'This link was already used: sign in with your new password, or ask for a new link';
          }
          if (reset.supersededAt) return 'This link was replaced by a newer one: use the link in the most recent email';
          return 'This link has expired: ask for a new password reset link';
        }
        const holder = await tx.user.findUniqueOrThrow({ where: { id: reset.userId } });
        // Disabled after the link was sent: the link dies with the account.
        // Thrown, not returned: the link's use rolls back with the rest.
        if (holder.disabledAt) throw notUsable('This account is disabled: ask your administrator');
        const activate = reset.purpose === 'INVITATION' && holder.status === 'PENDING_EMAIL';
        await tx.user.update({
          where: { id: reset.userId },
          data: {
            passwordHash: args.passwordHash,
            failedSignIns: 0,
            lockedUntil: null,
            // Following the emailed invitation proves the address, and activates the account.
            ...(activate ? { status: 'ACTIVE', emailVerifiedAt: now, activatedAt: now } : {}),
          },
        });
        const { count: sessionsRevoked } = await tx.session.updateMany({
          where: { userId: reset.userId, revokedAt: null },
          data: { revokedAt: now },
        });
        if (activate) {
          await audit(tx, { actor: `user:${reset.userId}`, action: 'account.activated', subjectType: 'user', subjectId: reset.userId, details: { resetId: reset.id }, ip: args.ip });
        }
        await audit(tx, {
          actor: `user:${reset.userId}`,
          action: reset.purpose === 'INVITATION' ? 'password.set' : 'password.reset',
          subjectType: 'user',
          subjectId: reset.userId,
          details: { resetId: reset.id, requestedBy: reset.requestedBy, sessionsRevoked },
          ip: args.ip,
        });
        return { sessionsRevoked };
      });
      if (typeof outcome === 'string') throw notUsable(outcome);
      return outcome;
    },

    /** Tells the account holder that the password changed, so that a change they did not make is noticed. */
    async sendPasswordChangedEmail(args: { resetId: string }): Promise<void> {
      await deliverOnce(deps, currentWorkflowId(), 'password-changed', async () => {
        const reset = await prisma.passwordReset.findUniqueOrThrow({ where: { id: args.resetId } });
        const u = await prisma.user.findUniqueOrThrow({ where: { id: reset.userId } });
        return {
          to: u.email ?? u.releasedEmail!,
          subject: 'Your provider portal password was changed',
          text: [
            `Hello ${u.firstName} ${u.lastName},`,
            '',
            `The password of your provider portal account ${u.username} was changed on ${when(reset.usedAt ?? new Date())} with a password reset link, and every signed-in session was ended.`,
            '',
            'If you did not change it, call Web Customer Service right away.',
          ].join('\n'),
        };
      });
    },
  };
}
