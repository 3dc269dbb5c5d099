import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { audit } from '../common/audit';
import { hashToken } from '../common/tokens';
import type { PrismaClient } from '../common/db';
import { Prisma } from '../generated/prisma/client';
import type { ProviderRole } from '../generated/prisma/enums';
import { formatTin } from '../domain/registration';
import { currentWorkflowId, deliverOnce, type MailDeps } from './mail';

/** A registration as the workflow carries it: normalized, with every secret already hashed. */
export interface NewAccount {
  username: string;
  usernameKey: string;
  email: string;
  firstName: string;
  lastName: string;
  role: ProviderRole;
  organization: { name: string; line1: string; line2?: string; city: string; state: string; zip: string };
  phone: string;
  fax?: string;
  passwordHash: string;
  securityAnswers: { questionId: string; answerHash: string }[];
  tins: string[];
  planIds: string[];
  termsVersion: string;
  termsAcceptedAt: string;
}

export type EmailKind = 'activated' | 'rejected' | 'expired';

/** Same-named unless a legal-form word differs: "Harborview Family Medicine, P.C." = "harborview family medicine". */
export function organizationKey(name: string): string {
  const legal = new Set(['the', 'inc', 'incorporated', 'llc', 'llp', 'lp', 'pc', 'pllc', 'pa', 'corp', 'corporation', 'co', 'company', 'ltd']);
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/\b([a-z])\.(?=[a-z]\.)/g, '$1')
    .replace(/[^a-z0-9 ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !legal.has(w))
    .join(' ');
}


/**
 * The once-only key of a registration's email. One email address keeps one workflow id across
 * registrations (a rejected, expired or disabled office registers again), so the registration id
 * tells a new registration's email from the last one's.
 */
const emailPurpose = (registrationId: string, what: string) => `${what}:${registrationId}`;

export function registrationActivities(deps: MailDeps & { publicBaseUrl: string }) {
  const { prisma } = deps;

  const user = (registrationId: string) => prisma.user.findUniqueOrThrow({ where: { id: registrationId } });

  return {
    /**
     * Persists the account. A username or email held by a live account is a non-retryable
     * DuplicateAccount failure; one held by a rejected, expired or disabled office account is
     * released to this registration (those must register again). Idempotent under retry.
     */
    async createAccount(args: { registrationId: string; account: NewAccount }): Promise<void> {
      const { registrationId, account: a } = args;
      const workflowId = currentWorkflowId();
      try {
        await prisma.$transaction(async (tx) => {
          if (await tx.user.findUnique({ where: { id: registrationId }, select: { id: true } })) return;
          const holders = await tx.user.findMany({
            where: { OR: [{ usernameKey: a.usernameKey }, { email: a.email }] },
            select: { id: true, status: true, usernameKey: true, email: true, username: true, accessRole: true, disabledAt: true },
          });
          for (const h of holders) {
            const releasable = h.accessRole === 'PROVIDER' && (h.status === 'REJECTED' || h.status === 'EXPIRED' || h.disabledAt);
            if (!releasable) {
              throw duplicate(h.usernameKey === a.usernameKey ? 'username' : 'email');
            }
            await tx.user.update({
              where: { id: h.id },
              data: { releasedUsername: h.username, releasedEmail: h.email, username: null, usernameKey: null, email: null },
            });
          }
          await tx.user.create({
            data: {
              id: registrationId,
              workflowId,
              username: a.username,
              usernameKey: a.usernameKey,
              email: a.email,
              firstName: a.firstName,
              lastName: a.lastName,
              role: a.role,
              organizationName: a.organization.name,
              line1: a.organization.line1,
              line2: a.organization.line2,
              city: a.organization.city,
              state: a.organization.state,
              zip: a.organization.zip,
              phone: a.phone,
              fax: a.fax,
              passwordHash: a.passwordHash,
              termsVersion: a.termsVersion,
              termsAcceptedAt: new Date(a.termsAcceptedAt),
              securityAnswers: { create: a.securityAnswers },
              tins: { create: a.tins.map((tin) => ({ tin })) },
              plans: { create: a.planIds.map((planId) => ({ planId })) },
            },
          });
          await audit(tx, {
            actor: `user:${registrationId}`,
            action: 'registration.submitted',
            subjectType: 'user',
            subjectId: registrationId,
            details: { tins: a.tins, planIds: a.planIds, termsVersion: a.termsVersion, released: holders.map((h) => h.id) },
          });
        });
      } catch (err) {
        // Two registrations racing for one username: the database constraint decides.
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          const meta = JSON.stringify(err.meta ?? {});
          if (meta.includes('usernameKey')) throw duplicate('username');
          if (meta.includes('email')) throw duplicate('email');
        }
        throw err;
      }
    },

    /** Creates access key number `sendNumber` (replacing older ones) and emails its link, once. */
    async issueAccessKey(args: { registrationId: string; sendNumber: number; ttlMs: number }): Promise<{ keyId: string; expiresAt: string }> {
      const { registrationId, sendNumber } = args;
      const u = await user(registrationId);
      const where = { userId_sendNumber: { userId: registrationId, sendNumber } };
      await deliverOnce(deps, currentWorkflowId(), emailPurpose(registrationId, `access-key-${sendNumber}`), async () => {
        const token = randomBytes(24).toString('base64url');
        const now = new Date();
        const expiresAt = new Date(now.getTime() + args.ttlMs);
        await prisma.$transaction([
          prisma.accessKey.updateMany({
            where: { userId: registrationId, sendNumber: { lt: sendNumber }, supersededAt: null, usedAt: null },
            data: { supersededAt: now },
          }),
          prisma.accessKey.upsert({
            where,
            create: { id: randomUUID(), userId: registrationId, sendNumber, keyHash: hashToken(token), createdAt: now, expiresAt },
            update: { keyHash: hashToken(token), createdAt: now, expiresAt },
          }),
        ]);
        const link = `${deps.publicBaseUrl}/api/registrations/verify-email?key=${token}`;
        return {
          to: u.email!,
          subject: 'Confirm your email address to finish registering',
          text: [
            `Hello ${u.firstName} ${u.lastName},`,
            '',
            'Thank you for registering for the provider portal. Follow this link to confirm your email address:',
            link,
            '',
            `The link works once and until ${expiresAt.toUTCString()}. If it expires, ask for a new one on the registration page.`,
            'After your email is confirmed, we verify your account and send a second email with its activation status.',
            '',
            'If you did not register, ignore this message.',
          ].join('\n'),
        };
      });
      const key = await prisma.accessKey.findUniqueOrThrow({ where });
      return { keyId: key.id, expiresAt: key.expiresAt.toISOString() };
    },

    async markEmailConfirmed(args: { registrationId: string; keyId: string }): Promise<void> {
      const now = new Date();
      await prisma.$transaction(async (tx) => {
        await tx.accessKey.updateMany({ where: { id: args.keyId, usedAt: null }, data: { usedAt: now } });
        const u = await tx.user.update({
          where: { id: args.registrationId },
          data: { status: 'PENDING_ACTIVATION', emailVerifiedAt: now },
          select: { emailVerifiedAt: true },
        });
        if (u.emailVerifiedAt?.getTime() === now.getTime()) {
          await audit(tx, { actor: `user:${args.registrationId}`, action: 'registration.email_confirmed', subjectType: 'user', subjectId: args.registrationId });
        }
      });
    },

    /**
     * Automatic verification: every TIN still on the roster, all of one organization whose
     * name matches the one given, every chosen plan contracted with one of the TINs. Anything
     * else goes to support with the reasons in plain words.
     */
    async verifyAccount(args: { registrationId: string }): Promise<{ automatic: boolean; reasons: string[] }> {
      const u = await prisma.user.findUniqueOrThrow({ where: { id: args.registrationId }, include: { tins: true, plans: true } });
      const roster = await prisma.taxId.findMany({
        where: { tin: { in: u.tins.map((t) => t.tin) } },
        include: { organization: true, plans: true },
      });
      const reasons: string[] = [];
      for (const t of u.tins) {
        if (!roster.some((r) => r.tin === t.tin)) reasons.push(`TIN ${formatTin(t.tin)} is not on the roster`);
      }
      const orgs = [...new Map(roster.map((r) => [r.organizationId, r.organization])).values()];
      if (orgs.length > 1) {
        reasons.push(`The TINs belong to different organizations on file: ${orgs.map((o) => o.name).join('; ')}`);
      }
      for (const org of orgs) {
        if (organizationKey(org.name) !== organizationKey(u.organizationName ?? '')) {
          const tins = roster.filter((r) => r.organizationId === org.id).map((r) => formatTin(r.tin));
          reasons.push(`The organization name "${u.organizationName}" does not match "${org.name}", the name on file for TIN ${tins.join(', ')}`);
        }
      }
      for (const p of u.plans) {
        if (!roster.some((r) => r.plans.some((rp) => rp.planId === p.planId))) {
          reasons.push(`Health plan ${p.planId} is not contracted with any of the TINs given`);
        }
      }
      const automatic = reasons.length === 0;
      await prisma.$transaction(async (tx) => {
        await tx.user.update({ where: { id: u.id }, data: { statusReason: automatic ? null : reasons.join('\n') } });
        await audit(tx, {
          actor: 'system',
          action: automatic ? 'registration.verified' : 'registration.sent_to_review',
          subjectType: 'user',
          subjectId: u.id,
          details: { reasons },
        });
      });
      return { automatic, reasons };
    },

    async recordRegistrationOutcome(args: {
      registrationId: string;
      status: 'ACTIVE' | 'REJECTED' | 'EXPIRED';
      reason?: string;
      decidedBy?: string;
      decidedById?: string;
    }): Promise<void> {
      const now = new Date();
      const stamp = { ACTIVE: { activatedAt: now }, REJECTED: { rejectedAt: now }, EXPIRED: { expiredAt: now } }[args.status];
      await prisma.$transaction(async (tx) => {
        const before = await tx.user.findUniqueOrThrow({ where: { id: args.registrationId }, select: { status: true } });
        if (before.status === args.status) return; // a retry after the write
        await tx.user.update({
          where: { id: args.registrationId },
          data: {
            status: args.status,
            ...stamp,
            ...(args.status === 'REJECTED' ? { statusReason: args.reason } : {}),
            ...(args.status === 'ACTIVE' ? { statusReason: null } : {}),
            ...(args.decidedBy ? { decidedBy: args.decidedBy } : {}),
          },
        });
        await audit(tx, {
          // Histories from before staff accounts name the support user only.
          actor: args.decidedById ? `user:${args.decidedById}` : args.decidedBy && args.decidedBy !== 'automatic' ? `support:${args.decidedBy}` : 'system',
          action: `registration.${args.status.toLowerCase()}`,
          subjectType: 'user',
          subjectId: args.registrationId,
          details: { decidedBy: args.decidedBy ?? 'automatic', ...(args.reason ? { reason: args.reason } : {}) },
        });
      });
    },

    /** Support's repair: the mirror's status and reason, written again as the workflow holds them. */
    async mirrorRegistration(args: { registrationId: string; status: 'PENDING_EMAIL' | 'PENDING_ACTIVATION' | 'ACTIVE' | 'REJECTED' | 'EXPIRED'; reason?: string; by: string }): Promise<void> {
      await prisma.user.update({ where: { id: args.registrationId }, data: { status: args.status, statusReason: args.reason ?? null } });
    },

    /** The activation-status and expiry emails, composed from the account, sent once each. */
    async sendRegistrationEmail(args: { registrationId: string; kind: EmailKind; reason?: string; signInBy?: string }): Promise<void> {
      await deliverOnce(deps, currentWorkflowId(), emailPurpose(args.registrationId, `registration-${args.kind}`), async () => {
        const u = await user(args.registrationId);
        const to = u.email ?? u.releasedEmail!;
        const hello = `Hello ${u.firstName} ${u.lastName},`;
        const signIn = `${deps.publicBaseUrl}/`;
        switch (args.kind) {
          case 'activated':
            return {
              to,
              subject: 'Your provider portal account is active',
              text: [
                hello,
                '',
                `Your account ${u.username} has been verified and is now active. You can sign in and request authorizations:`,
                signIn,
                '',
                args.signInBy
                  ? `Sign in by ${new Date(args.signInBy).toUTCString()}, or your username and password expire.`
                  : 'Sign in soon: unused usernames and passwords expire.',
              ].join('\n'),
            };
          case 'rejected':
            return {
              to,
              subject: 'Your provider portal registration was not approved',
              text: [
                hello,
                '',
                'We could not approve your registration for the provider portal, for this reason:',
                args.reason ?? '',
                '',
                'If you believe this is a mistake, contact Web Customer Service, or register again with corrected details.',
              ].join('\n'),
            };
          case 'expired':
            return {
              to,
              subject: 'Your provider portal registration has expired',
              text: [
                hello,
                '',
                u.emailVerifiedAt
                  ? 'Your username and password expired because they were not used to sign in within the time allowed after registration.'
                  : 'Your registration expired because your email address was not confirmed within the time allowed.',
                'To use the provider portal, register again.',
              ].join('\n'),
            };
        }
      });
    },

    async recordFirstSignIn(args: { registrationId: string; at: string }): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const { count } = await tx.user.updateMany({
          where: { id: args.registrationId, firstSignInAt: null },
          data: { firstSignInAt: new Date(args.at) },
        });
        if (count) {
          await audit(tx, { actor: `user:${args.registrationId}`, action: 'registration.first_sign_in', subjectType: 'user', subjectId: args.registrationId });
        }
      });
    },
  };
}

function duplicate(field: 'username' | 'email'): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'DuplicateAccount',
    nonRetryable: true,
    message:
      field === 'username'
        ? 'That username is taken: choose another'
        : 'An account with this email address already exists: sign in, or ask support to reset your password',
    details: [{ field }],
  });
}


