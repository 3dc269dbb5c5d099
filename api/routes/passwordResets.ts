import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { hashToken } from '../../common/tokens';
import type { PasswordLinkPurpose, ResetTarget } from '../../activities/passwordResets';
import { searchAttributes } from '../../common/searchAttributes';
import { PASSWORD_MESSAGES, PASSWORD_MIN_LENGTH, passwordProblems } from '../../domain/registration';
import type { PasswordReset, User } from '../../generated/prisma/client';
import { completePasswordResetUpdate, passwordResetWorkflow, passwordResetWorkflowId } from '../../workflows/passwordReset';
import { allow, clientIp, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError, validationError, type FieldProblem } from '../errors';
import { escapeHtml, page } from '../html';
import { defineRoute } from '../route';
import { hashSecret } from './registrations';

const completeBody = z.object({
  token: z.string({ error: 'token is required: use the whole link from the email' }).min(1, 'token is required: use the whole link from the email').max(200),
  password: z.string({ error: 'password is required: the new password' }).max(1024, 'password is too long'),
  passwordConfirmation: z.string({ error: 'passwordConfirmation is required: type the new password again' }).max(1024),
});
type CompleteBody = z.infer<typeof completeBody>;

const REQUEST_PATH = '/api/password-resets';
const COMPLETE_PATH = '/api/password-resets/complete';
const askAgain = { requestUrl: REQUEST_PATH };

/** "30 minutes", "1 hour": the policy in the words a person reads. */
function inWords(ms: number): string {
  const units = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1_000, 'second']] as const;
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

/** d•••@harborview.example: enough for support to tell a caller which inbox to look in. */
export const masked = (email: string) => email.replace(/^(.)[^@]*/, '$1•••');

/**
 * Starts the workflow of one emailed password link: a reset (PASSWORD_RESET_TTL) or a new staff
 * account's invitation (STAFF_INVITATION_TTL). Answers with its id.
 */
export async function startPasswordLink(
  ctx: Pick<ApiContext, 'temporal' | 'config'>,
  link: { target: ResetTarget; requestedBy: string; requestedById?: string; ip?: string; purpose: PasswordLinkPurpose },
): Promise<string> {
  const resetId = randomUUID();
  const invitation = link.purpose === 'INVITATION';
  await ctx.temporal.workflow.start(passwordResetWorkflow, {
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    workflowId: passwordResetWorkflowId(resetId),
    typedSearchAttributes: [
      { key: searchAttributes.RecordType, value: invitation ? 'STAFF_INVITATION' : 'PASSWORD_RESET' },
      { key: searchAttributes.RecordStatus, value: 'ISSUING' },
    ],
    args: [{ resetId, ...link, ttl: invitation ? ctx.config.STAFF_INVITATION_TTL : ctx.config.PASSWORD_RESET_TTL }],
  });
  return resetId;
}

/**
 * Password reset by an emailed single-use link. Every request starts a workflow, whether or not
 * the login matches an active account (the workflow finds out, and sends nothing if not), so the
 * answer is the same in content and timing: no one learns from it who has an account.
 */
export function passwordResetRoutes(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  const ttlWords = () => inWords(msToNumber(config.PASSWORD_RESET_TTL));

  const start = (target: ResetTarget, requestedBy: string, ip: string | undefined, requestedById?: string) =>
    startPasswordLink(ctx, { target, requestedBy, requestedById, ip, purpose: 'RESET' });

  /** The reset a link's token belongs to, if it can still set a password. */
  async function usable(token: string): Promise<{ reset: PasswordReset; user: User }> {
    const reset = await prisma.passwordReset.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!reset) throw new HttpError(404, 'unknown_token', 'This link is not valid: copy the whole link from the most recent email');
    if (reset.usedAt) {
      throw new HttpError(409, 'token_used', 'This link was already used: sign in with your new password, or ask for a new link', askAgain);
    }
    if (reset.supersededAt) {
      throw new HttpError(409, 'token_replaced', 'This link was replaced by a newer one: use the link in the most recent email', askAgain);
    }
    if (reset.expiresAt <= new Date()) {
      throw new HttpError(409, 'token_expired', 'This link has expired: ask for a new password reset link', askAgain);
    }
    return { reset, user: await prisma.user.findUniqueOrThrow({ where: { id: reset.userId } }) };
  }

  /** Sets the new password through the reset's workflow: every problem of it at once, or done. */
  async function complete(body: CompleteBody, ip: string | undefined): Promise<{ message: string }> {
    const { reset, user } = await usable(body.token);
    const problems: FieldProblem[] = passwordProblems(body.password, { username: user.username ?? undefined, email: user.email ?? undefined }).map(
      (message) => ({ field: 'body.password', message }),
    );
    if (body.passwordConfirmation !== body.password) problems.push({ field: 'body.passwordConfirmation', message: PASSWORD_MESSAGES.mismatch });
    if (problems.length) {
      const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      throw new HttpError(400, 'validation_failed', `The request has ${problems.length} problem(s): ${summary}`, { problems });
    }
    const passwordHash = await hashSecret(body.password);
    try {
      await temporal.workflow.getHandle(passwordResetWorkflowId(reset.id)).executeUpdate(completePasswordResetUpdate, { args: [{ passwordHash, ip }] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new HttpError(409, 'token_not_usable', err.cause?.message ?? 'This link cannot be used now: ask for a new one', askAgain);
      }
      if (err instanceof WorkflowNotFoundError) {
        throw new HttpError(409, 'token_expired', 'This link has expired: ask for a new password reset link', askAgain);
      }
      throw err;
    }
    if (reset.purpose === 'INVITATION') {
      return { message: 'Your password is set and your account is active: sign in, and set up an authenticator app when asked.' };
    }
    return { message: 'Your password was changed and every session of your account was signed out: sign in with the new password.' };
  }

  const form = (token: string, username: string, problems: string[] = []) =>
    (problems.length ? `<ul>${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>` : '') +
    `<form method="post" action="${COMPLETE_PATH}">` +
    `<input type="hidden" name="token" value="${escapeHtml(token)}">` +
    `<input type="text" name="username" value="${escapeHtml(username)}" autocomplete="username" hidden>` +
    `<p><label>New password <input type="password" name="password" autocomplete="new-password" minlength="${PASSWORD_MIN_LENGTH}" required></label></p>` +
    `<p><label>Type it again <input type="password" name="passwordConfirmation" autocomplete="new-password" required></label></p>` +
    `<p>${escapeHtml(PASSWORD_MESSAGES.tooShort)}. It must not contain your username or email address.</p>` +
    `<button type="submit">Set the new password</button></form>`;
  const cannotUse = (err: HttpError) => page('This link cannot be used', `<p>${escapeHtml(err.message)}.</p>`);

  // Browsers submit the page's form form-encoded: the same checks, answered with a page.
  const parseForm = express.urlencoded({ extended: false, limit: '10kb' });
  const formSubmission: RequestHandler = (req, res, next) => {
    if (!req.is('application/x-www-form-urlencoded')) {
      next();
      return;
    }
    parseForm(req, res, async (parseError?: unknown) => {
      if (parseError) {
        next(parseError);
        return;
      }
      res.set('Cache-Control', 'no-store');
      try {
        const parsed = completeBody.safeParse(req.body);
        if (!parsed.success) throw validationError('body', parsed.error);
        const done = await complete(parsed.data, clientIp(req));
        res.status(200).type('html').send(page('Password set', `<p>${escapeHtml(done.message)}</p>`));
      } catch (err) {
        if (!(err instanceof HttpError)) {
          next(err);
          return;
        }
        const problems = (err.details as { problems?: FieldProblem[] } | undefined)?.problems;
        const token = typeof req.body?.token === 'string' ? req.body.token : '';
        if (err.status === 400 && problems && token) {
          const username = typeof req.body?.username === 'string' ? req.body.username : '';
          res.status(400).type('html').send(page('Choose a new password', form(token, username, problems.map((p) => p.message))));
        } else {
          res.status(err.status).type('html').send(cannotUse(err));
        }
      }
    });
  };

  const completeRoute = defineRoute({
    method: 'post',
    path: COMPLETE_PATH,
    tag: 'password-reset',
    security: 'public',
    summary: 'Set a new password with the emailed link\'s token: single use; every session of the user ends (JSON, or the link page\'s form)',
    body: completeBody,
    response: z.object({ message: z.string() }),
    alsoProduces: ['text/html'],
    errors: {
      404: 'The token is not one we sent',
      409: 'The link was used, replaced by a newer one, or expired',
    },
    handler: async ({ body }, req) => complete(body, clientIp(req)),
  });
  const requestBody = (completeRoute.operation as { requestBody: { content: Record<string, unknown> } }).requestBody;
  requestBody.content['application/x-www-form-urlencoded'] = requestBody.content['application/json'];

  const supportSecurity = allow(ctx, 'SUPPORT', 'ADMIN');

  return [
    defineRoute({
      method: 'post',
      path: REQUEST_PATH,
      tag: 'password-reset',
      security: 'public',
      summary: 'Ask for a password reset link by username or email: the same answer whether or not an account matches',
      body: z.object({
        login: z.string({ error: 'login is required: your username or email address' }).trim().min(1, 'login is required: your username or email address').max(254, 'login is too long'),
      }),
      status: 202,
      response: z.object({ message: z.string() }),
      handler: async ({ body }, req) => {
        await start({ login: body.login }, 'user', clientIp(req));
        return {
          message: `If an active account matches, we emailed a link to its email address. The link works once, for ${ttlWords()}; a newer request replaces it.`,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: COMPLETE_PATH,
      tag: 'password-reset',
      security: 'public',
      summary: 'The emailed link: checks it and offers the new-password form (a page for people, JSON for programs)',
      query: z.object({ token: z.string().min(1, 'token is missing: use the whole link from the email') }),
      response: z.object({ username: z.string(), expiresAt: z.iso.datetime(), message: z.string() }),
      alsoProduces: ['text/html'],
      errors: {
        404: 'The token is not one we sent',
        409: 'The link was used, replaced by a newer one, or expired',
      },
      handler: async ({ query }, req, res) => {
        const html = req.accepts(['json', 'html']) === 'html';
        res.set('Cache-Control', 'no-store');
        try {
          const { reset, user } = await usable(query.token);
          const username = user.username ?? '';
          if (!html) {
            return {
              username,
              expiresAt: reset.expiresAt.toISOString(),
              message: `Choose a new password: POST it with this token to ${COMPLETE_PATH}`,
            };
          }
          const title = reset.purpose === 'INVITATION' ? 'Set up your account: choose a password' : 'Choose a new password';
          res.status(200).type('html').send(page(title, `<p>For the account ${escapeHtml(username)}.</p>${form(query.token, username)}`));
        } catch (err) {
          if (!(html && err instanceof HttpError)) throw err;
          res.status(err.status).type('html').send(cannotUse(err));
        }
      },
    }),
    { ...completeRoute, handlers: [formSubmission, ...completeRoute.handlers] },
    defineRoute({
      method: 'post',
      path: '/api/support/users/:userId/password-reset',
      tag: 'support',
      summary: "Start a password reset for a caller: the link goes to the account's email address (audited with who started it)",
      security: supportSecurity,
      params: z.object({ userId: z.uuid('userId must be the id of a user (the registration id)') }),
      status: 202,
      response: z.object({ resetId: z.uuid(), userId: z.uuid(), sentTo: z.string(), message: z.string() }),
      errors: { 404: 'No such user', 409: 'The account is not active' },
      handler: async ({ params }, req, res) => {
        const user = await prisma.user.findUnique({ where: { id: params.userId } });
        if (!user) throw new HttpError(404, 'not_found', `No user ${params.userId}`);
        if (user.status !== 'ACTIVE' || user.disabledAt || !user.email) {
          const state = user.disabledAt ? 'disabled' : user.status.toLowerCase().replace('_', ' ');
          throw new HttpError(409, 'account_not_active', `This account is ${state}: only an active account's password can be reset`);
        }
        const me = sessionOf(res).user;
        const resetId = await start({ userId: user.id }, `${me.accessRole.toLowerCase()}:${me.username}`, clientIp(req), me.id);
        return {
          resetId,
          userId: user.id,
          sentTo: masked(user.email),
          message: `A password reset link is on its way to ${masked(user.email)}. It works once, for ${ttlWords()}.`,
        };
      },
    }),
  ];
}
