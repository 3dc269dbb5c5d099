import { randomUUID, timingSafeEqual } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import argon2 from 'argon2';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { searchAttributes } from '../../common/searchAttributes';
import { hashCode } from '../../domain/mfa';
import { normalizeSecurityAnswer } from '../../domain/registration';
import {
  confirmIdentityUpdate,
  identityConfirmationIssuedUpdate,
  identityConfirmationStatusQuery,
  identityConfirmationWorkflow,
  identityConfirmationWorkflowId,
  type IdentityConfirmationView,
} from '../../workflows/identityConfirmation';
import { clientIp } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';
import { hashSecret } from './registrations';

/** Wrong codes and answers accepted per confirmation before it has to be started again. */
export const IDENTITY_MAX_ATTEMPTS = 5;

const START_PATH = '/api/identity-confirmations';
const startAgain = { startUrl: START_PATH };

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Unlocking an account locked for inactivity (sign-in answers 403 account_inactive): the right
 * password starts a workflow that emails a 6-digit code and picks one of the user's security
 * questions; the code and the answer, given together, unlock the account. The API checks both
 * (they never reach a workflow or the audit log) and counts the attempts in the database.
 */
export function identityConfirmationRoutes(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  // Verifying against a real hash for unknown users keeps the answer time the same for both.
  const dummyHash = hashSecret('not-a-real-password-only-for-timing');

  return [
    defineRoute({
      method: 'post',
      path: START_PATH,
      tag: 'sessions',
      security: 'public',
      summary:
        'Start unlocking an account locked for inactivity with its username (or email) and password: emails a 6-digit code and answers the security question to answer with it',
      body: z.object({
        login: z.string({ error: 'login is required: your username or email address' }).trim().min(1, 'login is required: your username or email address').max(254, 'login is too long'),
        password: z.string({ error: 'password is required' }).min(1, 'password is required').max(1024, 'password is too long'),
      }),
      status: 202,
      response: z.object({
        confirmationId: z.uuid(),
        question: z.object({ id: z.string(), text: z.string() }),
        expiresAt: z.iso.datetime(),
        message: z.string(),
      }),
      errors: {
        401: 'The username or password is not right',
        403: 'The account is locked after failed sign-ins: wait, or reset the password',
        409: 'The account is not locked for inactivity (sign in), or cannot be unlocked this way',
      },
      handler: async ({ body }, req) => {
        const ip = clientIp(req);
        const login = body.login.toLowerCase();
        const user = await prisma.user.findFirst({ where: login.includes('@') ? { email: login } : { usernameKey: login } });
        const refuse = (reason: string) =>
          audit(prisma, { actor: user ? `user:${user.id}` : 'anonymous', action: 'identity.confirmation_refused', subjectType: 'user', subjectId: user?.id ?? '-', details: { reason }, ip });
        // A sign-in lock holds here too: this endpoint is no way around it to guess passwords.
        if (user?.lockedUntil && user.lockedUntil > new Date()) {
          await refuse('locked');
          throw new HttpError(403, 'account_locked', 'Your account is locked after failed sign-ins in a row: try again later, or reset your password', {
            lockedUntil: user.lockedUntil.toISOString(),
          });
        }
        const ok = user ? await argon2.verify(user.passwordHash, body.password) : (await argon2.verify(await dummyHash, body.password), false);
        if (!user || !ok) {
          await refuse(user ? 'wrong_password' : 'unknown_login');
          throw new HttpError(401, 'invalid_credentials', 'The username or password is not right: check both and try again');
        }
        if (user.accessRole !== 'PROVIDER' && user.inactivityLockedAt) {
          await refuse('staff_account');
          throw new HttpError(409, 'not_locked_for_inactivity', 'Staff accounts are unlocked by an administrator: ask yours to unlock this account');
        }
        if (!user.inactivityLockedAt || user.status !== 'ACTIVE' || user.disabledAt) {
          await refuse(user.inactivityLockedAt ? 'not_active' : 'not_locked');
          throw new HttpError(
            409,
            'not_locked_for_inactivity',
            user.inactivityLockedAt ? 'This account is not active: it cannot be unlocked this way' : 'This account is not locked for inactivity: sign in',
          );
        }

        const confirmationId = randomUUID();
        const handle = await temporal.workflow.start(identityConfirmationWorkflow, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: identityConfirmationWorkflowId(confirmationId),
          typedSearchAttributes: [
            { key: searchAttributes.RecordType, value: 'IDENTITY_CONFIRMATION' },
            { key: searchAttributes.RecordStatus, value: 'ISSUING' },
          ],
          args: [{ confirmationId, userId: user.id, ttl: config.IDENTITY_CODE_TTL, ip }],
        });
        let view: IdentityConfirmationView;
        try {
          view = await handle.executeUpdate(identityConfirmationIssuedUpdate);
        } catch (err) {
          // A workflow that found nothing to do may have ended before the update reached it.
          if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError)) throw err;
          view = await handle.query(identityConfirmationStatusQuery);
        }
        if (view.status !== 'AWAITING_ANSWER' || !view.question || !view.expiresAt) {
          throw new HttpError(409, 'not_locked_for_inactivity', 'This account cannot be unlocked this way: call Web Customer Service');
        }
        return {
          confirmationId,
          question: view.question,
          expiresAt: view.expiresAt,
          message: `We emailed a 6-digit code to the account's email address. Send it with the answer to the question to ${START_PATH}/${confirmationId}; it works once, until ${view.expiresAt}.`,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: `${START_PATH}/:confirmationId`,
      tag: 'sessions',
      security: 'public',
      summary: `Unlock the account with the emailed code and the answer to the security question, both right (at most ${IDENTITY_MAX_ATTEMPTS} attempts)`,
      params: z.object({ confirmationId: z.uuid('confirmationId must be the id POST /api/identity-confirmations answered') }),
      body: z.object({
        code: z.string({ error: 'code is required: the 6 digits from the email' }).trim().min(1, 'code is required: the 6 digits from the email').max(20, 'code is too long'),
        answer: z.string({ error: 'answer is required: the answer to the security question' }).min(1, 'answer is required: the answer to the security question').max(200, 'answer is too long'),
      }),
      response: z.object({ message: z.string() }),
      errors: {
        401: 'The code or the answer is not right (details.attemptsLeft)',
        404: 'No such confirmation',
        409: 'The confirmation was used, expired, or had too many attempts: start again',
      },
      handler: async ({ params, body }, req) => {
        const ip = clientIp(req);
        const { confirmationId } = params;
        const row = await prisma.identityConfirmation.findUnique({ where: { id: confirmationId } });
        if (!row) throw new HttpError(404, 'not_found', 'This confirmation is not one we started: start again');
        if (row.confirmedAt) throw new HttpError(409, 'confirmation_used', 'Your identity was already confirmed with this code: sign in', startAgain);
        const now = new Date();
        if (row.expiresAt <= now) throw new HttpError(409, 'confirmation_expired', 'This code has expired: start again to get a new one', startAgain);
        const tooMany = () =>
          new HttpError(409, 'too_many_attempts', `Too many attempts with this code: start again to get a new code`, startAgain);
        // The attempt is counted before anything is checked: parallel guesses cannot exceed the limit.
        const { count } = await prisma.identityConfirmation.updateMany({
          where: { id: confirmationId, confirmedAt: null, attempts: { lt: IDENTITY_MAX_ATTEMPTS } },
          data: { attempts: { increment: 1 } },
        });
        if (!count) throw tooMany();
        const attempts = (await prisma.identityConfirmation.findUniqueOrThrow({ where: { id: confirmationId }, select: { attempts: true } })).attempts;

        // Both are always checked: the answer does not say which one was wrong.
        const codeRight = sameHash(hashCode(body.code), row.codeHash);
        const stored = await prisma.securityAnswer.findUnique({ where: { userId_questionId: { userId: row.userId, questionId: row.questionId } } });
        const answerRight = stored ? await argon2.verify(stored.answerHash, normalizeSecurityAnswer(body.answer)) : false;
        if (!codeRight || !answerRight) {
          const attemptsLeft = IDENTITY_MAX_ATTEMPTS - attempts;
          await audit(prisma, {
            actor: `user:${row.userId}`,
            action: 'identity.confirmation_failed',
            subjectType: 'user',
            subjectId: row.userId,
            details: { confirmationId, attempts, codeRight, answerRight },
            ip,
          });
          throw new HttpError(
            401,
            'identity_not_confirmed',
            attemptsLeft > 0
              ? `The code or the answer is not right: check both and try again (${attemptsLeft} attempt(s) left)`
              : 'The code or the answer is not right, and that was the last attempt: start again to get a new code',
            { attemptsLeft },
          );
        }
        try {
          await temporal.workflow.getHandle(identityConfirmationWorkflowId(confirmationId)).executeUpdate(confirmIdentityUpdate, { args: [{ ip }] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            throw new HttpError(409, 'confirmation_not_usable', err.cause?.message ?? 'This code cannot be used now: start again', startAgain);
          }
          if (err instanceof WorkflowNotFoundError) {
            throw new HttpError(409, 'confirmation_expired', 'This code has expired: start again to get a new one', startAgain);
          }
          throw err;
        }
        return { message: 'Your identity is confirmed and your account is unlocked: sign in.' };
      },
    }),
  ];
}
