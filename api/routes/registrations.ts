import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import argon2 from 'argon2';
import { z } from 'zod';
import { searchAttributes } from '../../common/searchAttributes';
import { workflowIds } from '../../common/temporal';
import type { RegistrationStatus, User } from '../../generated/prisma/client';

/** A provider account, which has a registration workflow. */
type RegisteredUser = User & { workflowId: string };
import { hashToken } from '../../common/tokens';
import {
  formatTin,
  normalizeSecurityAnswer,
  PROGRAM_LABELS,
  PROGRAMS,
  PROVIDER_ROLES,
  registrationProblems,
  registrationSchema,
  registrationSummary,
  ROLE_LABELS,
  SECURITY_ANSWERS_REQUIRED,
  SECURITY_QUESTIONS,
  TERMS_VERSION,
  US_STATES,
  usernameKey,
  type Registration,
} from '../../domain/registration';
import {
  confirmEmailUpdate,
  decideRegistrationUpdate,
  DUPLICATE_ACCOUNT,
  MIN_REJECTION_REASON,
  registrationWorkflow,
  resendAccessKeyUpdate,
  submitRegistrationUpdate,
  type RegistrationView,
} from '../../workflows/registration';
import { allow, auditActor, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError, type FieldProblem } from '../errors';
import { escapeHtml, page } from '../html';
import { checkRoster, organizationOf } from '../roster';
import { defineRoute } from '../route';

/** Passwords and security answers are stored only as argon2id hashes. */
export const hashSecret = (secret: string) => argon2.hash(secret, { type: argon2.argon2id });

const STATUSES = ['PENDING_EMAIL', 'PENDING_ACTIVATION', 'ACTIVE', 'REJECTED', 'EXPIRED'] as const;

const statusSchema = z.object({
  registrationId: z.uuid(),
  status: z.enum(STATUSES).describe("The seeds' words: pending email, Registration Pending, active, rejected, expired"),
  statusLabel: z.string(),
  message: z.string().describe('What the office should know or do next, in plain words'),
  emailConfirmed: z.boolean(),
  registeredAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().optional().describe('When unused credentials expire'),
  reason: z.string().optional().describe('Why the registration was rejected'),
});

const STATUS_LABELS: Record<RegistrationStatus, string> = {
  PENDING_EMAIL: 'Pending email confirmation',
  PENDING_ACTIVATION: 'Registration Pending',
  ACTIVE: 'Active',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
};

const summarySchema = z.object({
  summary: z.record(z.string(), z.unknown()).describe('The normalized request as the review page shows it (no password or answers)'),
  plans: z.array(z.object({ id: z.string(), name: z.string() })),
  organizationsOnFile: z.array(z.object({ tins: z.array(z.string()), name: z.string() })),
});

const registrationIdParams = z.object({ registrationId: z.uuid('registrationId must be the id returned when you registered') });

const when = (d: Date) => d.toUTCString().replace(' GMT', ' UTC');

export function registrationStatus(user: User, signInWindowMs: number): z.infer<typeof statusSchema> {
  const expiresAt = new Date(user.registeredAt.getTime() + signInWindowMs);
  const messages: Record<RegistrationStatus, string> = {
    PENDING_EMAIL:
      'We emailed you a link. Follow it to confirm your email address; if it expired, ask for a new one.',
    PENDING_ACTIVATION: user.statusReason
      ? 'Your email address is confirmed. Web Customer Service is verifying your account details; you will get an email when it is decided.'
      : 'Your email address is confirmed and your account is being verified. You will get an email with its activation status.',
    ACTIVE: user.firstSignInAt
      ? 'Your account is active.'
      : `Your account is active: sign in with your username and password before ${when(expiresAt)}, or they expire.`,
    REJECTED: `Your registration was not approved: ${user.statusReason ?? ''}`.trim(),
    EXPIRED: 'Your registration expired because the credentials were not used in time. Register again to use the portal.',
  };
  return {
    registrationId: user.id,
    status: user.status,
    statusLabel: STATUS_LABELS[user.status],
    message: messages[user.status],
    emailConfirmed: user.emailVerifiedAt !== null,
    registeredAt: user.registeredAt.toISOString(),
    ...(user.status === 'ACTIVE' && !user.firstSignInAt ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(user.status === 'PENDING_EMAIL' || user.status === 'PENDING_ACTIVATION' ? { expiresAt: expiresAt.toISOString() } : {}),
    ...(user.status === 'REJECTED' && user.statusReason ? { reason: user.statusReason } : {}),
  };
}

/** The workflow's refusal (an update validator or handler failure) in its own words. */
function refusal(err: WorkflowUpdateFailedError): string {
  return err.cause?.message ?? 'This step is not possible now';
}

export function registrationRoutes(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  const signInWindowMs = () => msToNumber(config.REGISTRATION_SIGN_IN_WINDOW);

  /** Every problem of a request: the schema's, the roster's, then taken usernames or emails (409). */
  async function check(raw: unknown): Promise<{ data: Registration; plans: { id: string; name: string }[]; orgs: { tins: string[]; name: string }[] }> {
    const { data, issues } = registrationProblems(raw);
    const problems: FieldProblem[] = issues.map((i) => ({ field: ['body', ...i.path].join('.'), message: i.message }));
    const app = (raw as { application?: { tins?: unknown; planIds?: unknown } } | null)?.application;
    const roster = await checkRoster(
      prisma,
      { tins: app?.tins, planIds: app?.planIds },
      { tins: 'body.application.tins', planIds: 'body.application.planIds' },
    );
    problems.push(...roster.problems);
    if (problems.length || !data) {
      const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      throw new HttpError(400, 'validation_failed', `The registration has ${problems.length} problem(s): ${summary}`, { problems });
    }
    const taken: FieldProblem[] = [];
    const holders = await prisma.user.findMany({
      where: {
        OR: [{ usernameKey: usernameKeyOf(data) }, { email: data.user.email }],
        // Rejected, expired and disabled offices register again: their username and email are free.
        NOT: { accessRole: 'PROVIDER', OR: [{ status: { in: ['REJECTED', 'EXPIRED'] } }, { disabledAt: { not: null } }] },
      },
      select: { usernameKey: true, email: true },
    });
    if (holders.some((h) => h.usernameKey === usernameKeyOf(data))) {
      taken.push({ field: 'body.login.username', message: `The username "${data.login.username}" is taken: choose another` });
    }
    if (holders.some((h) => h.email === data.user.email)) {
      taken.push({
        field: 'body.user.email',
        message: 'An account with this email address already exists: sign in, or contact Web Customer Service',
      });
    }
    if (taken.length) {
      throw new HttpError(409, 'already_registered', taken.map((t) => t.message).join('; '), { problems: taken });
    }
    const planNames = new Map(roster.found.flatMap((t) => t.plans.map((p) => [p.id, p.name] as const)));
    const orgs = new Map<string, { tins: string[]; name: string }>();
    for (const t of roster.found) {
      const o = orgs.get(t.organization.id) ?? { tins: [], name: t.organization.name };
      o.tins.push(formatTin(t.tin));
      orgs.set(t.organization.id, o);
    }
    return { data, plans: data.application.planIds.map((id) => ({ id, name: planNames.get(id)! })), orgs: [...orgs.values()] };
  }

  const handleFor = (user: Pick<User, 'id' | 'workflowId'>) => {
    // Access keys and registrations belong to provider accounts only, which all have one.
    if (!user.workflowId) throw new Error(`User ${user.id} has no registration workflow`);
    return temporal.workflow.getHandle(user.workflowId);
  };

  /**
   * Update-with-start. A rejected or expired registration of the same email closes its workflow
   * a moment after its final email; a new registration arriving in that moment waits for it.
   */
  async function submit(operation: () => WithStartWorkflowOperation<typeof registrationWorkflow>, email: string): Promise<void> {
    try {
      await temporal.workflow.executeUpdateWithStart(submitRegistrationUpdate, { startWorkflowOperation: operation() });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const previous = await prisma.user.findFirst({
        where: {
          accessRole: 'PROVIDER',
          AND: [{ OR: [{ email }, { releasedEmail: email }] }, { OR: [{ status: { in: ['REJECTED', 'EXPIRED'] } }, { disabledAt: { not: null } }] }],
        },
        orderBy: { registeredAt: 'desc' },
      });
      if (!previous) throw err;
      const closed = await Promise.race([
        handleFor(previous).result().then(() => true, () => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
      ]);
      if (!closed) throw err;
      await temporal.workflow.executeUpdateWithStart(submitRegistrationUpdate, { startWorkflowOperation: operation() });
    }
  }

  /** A provider's registration (a staff account has none, and is "not found" here). */
  async function userOr404(registrationId: string): Promise<RegisteredUser> {
    const user = await prisma.user.findUnique({ where: { id: registrationId } });
    if (!user || user.accessRole !== 'PROVIDER' || !user.workflowId) throw new HttpError(404, 'not_found', `No registration ${registrationId}`);
    return user as RegisteredUser;
  }

  return [
    defineRoute({
      method: 'get',
      path: '/api/registration-options',
      tag: 'registration',
      security: 'public',
      summary: 'The fixed lists a registration form offers: roles, security questions, programs, states, terms version',
      response: z.object({
        roles: z.array(z.object({ id: z.string(), label: z.string() })),
        securityQuestions: z.array(z.object({ id: z.string(), text: z.string() })),
        securityAnswersRequired: z.number(),
        programs: z.array(z.object({ id: z.string(), label: z.string() })),
        states: z.array(z.string()),
        termsVersion: z.string(),
      }),
      handler: async () => ({
        roles: PROVIDER_ROLES.map((id) => ({ id, label: ROLE_LABELS[id] })),
        securityQuestions: SECURITY_QUESTIONS.map((q) => ({ ...q })),
        securityAnswersRequired: SECURITY_ANSWERS_REQUIRED,
        programs: PROGRAMS.map((id) => ({ id, label: PROGRAM_LABELS[id] })),
        states: [...US_STATES],
        termsVersion: TERMS_VERSION,
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/roster/tins/:tin/health-plans',
      tag: 'registration',
      security: 'public',
      summary: 'The health plans associated with a Tax ID on the roster, to choose from while registering',
      params: z.object({ tin: z.string().regex(/^\d{2}-?\d{7}$/, 'tin must be 9 digits, with or without the dash (12-3456789)') }),
      response: z.object({ tin: z.string(), plans: z.array(z.object({ id: z.string(), name: z.string() })) }),
      errors: { 404: 'The TIN is not on the roster' },
      handler: async ({ params }) => {
        const tin = params.tin.replace('-', '');
        const row = await prisma.taxId.findUnique({ where: { tin }, include: { plans: { include: { plan: true }, orderBy: { planId: 'asc' } } } });
        if (!row) {
          throw new HttpError(404, 'tin_not_on_roster', `TIN ${formatTin(tin)} is not on the health plans' roster: check the number, or call Web Customer Service`);
        }
        // The organization's name is not shown: a TIN alone must not reveal who holds it.
        return { tin: formatTin(tin), plans: row.plans.map((p) => ({ id: p.planId, name: p.plan.name })) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/registrations/validate',
      tag: 'registration',
      security: 'public',
      summary: 'Validate a registration without creating anything: the normalized summary for the review page, or every problem',
      body: registrationSchema,
      parseBody: async (raw) => raw as Registration,
      response: summarySchema,
      errors: { 409: 'The username or email address is already registered' },
      handler: async ({ body }) => {
        const { data, plans, orgs } = await check(body);
        return { summary: { ...registrationSummary(data) }, plans, organizationsOnFile: orgs };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/registrations',
      tag: 'registration',
      security: 'public',
      summary: 'Register: starts the registration workflow, which emails an access key link',
      body: registrationSchema,
      parseBody: async (raw) => raw as Registration,
      status: 201,
      response: statusSchema.extend({ statusUrl: z.string() }),
      errors: { 409: 'The username or email address is already registered, or a registration for the email is in progress' },
      handler: async ({ body }, req) => {
        const { data } = await check(body);
        const registrationId = randomUUID();
        const [passwordHash, ...answerHashes] = await Promise.all([
          hashSecret(data.login.password),
          ...data.login.securityAnswers.map((a) => hashSecret(normalizeSecurityAnswer(a.answer))),
        ]);
        const a = data.user.organization.address;
        const operation = () =>
          new WithStartWorkflowOperation(registrationWorkflow, {
          workflowId: workflowIds.registration(data.user.email, config.workflowIdSecret),
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          // One open registration per email; a closed one (rejected, expired) may be followed by a new one.
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          typedSearchAttributes: [
            { key: searchAttributes.RecordType, value: 'REGISTRATION' },
            { key: searchAttributes.RecordStatus, value: 'SUBMITTED' },
          ],
          args: [
            {
              registrationId,
              policy: {
                accessKeyTtl: config.ACCESS_KEY_TTL,
                maxAccessKeySends: config.ACCESS_KEY_MAX_SENDS,
                signInWindow: config.REGISTRATION_SIGN_IN_WINDOW,
              },
              account: {
                username: data.login.username,
                usernameKey: usernameKeyOf(data),
                email: data.user.email,
                firstName: data.user.firstName,
                lastName: data.user.lastName,
                role: data.user.role,
                organization: { name: data.user.organization.name, ...a, line2: a.line2 || undefined },
                phone: data.user.phone,
                fax: data.user.fax || undefined,
                passwordHash: passwordHash!,
                securityAnswers: data.login.securityAnswers.map((s, i) => ({ questionId: s.questionId, answerHash: answerHashes[i]! })),
                tins: data.application.tins,
                planIds: data.application.planIds,
                termsVersion: data.terms.version,
                termsAcceptedAt: new Date().toISOString(),
              },
            },
          ],
        });
        try {
          await submit(operation, data.user.email);
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            throw new HttpError(
              409,
              'already_registered',
              'A registration for this email address is already in progress: follow the link we emailed, or ask for a new one',
              { problems: [{ field: 'body.user.email', message: 'A registration for this email address is already in progress' }] },
            );
          }
          if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === DUPLICATE_ACCOUNT) {
            const field = (err.cause.details?.[0] as { field?: string } | undefined)?.field === 'email' ? 'body.user.email' : 'body.login.username';
            throw new HttpError(409, 'already_registered', err.cause.message, { problems: [{ field, message: err.cause.message }] });
          }
          throw err;
        }
        req.log.info({ registrationId }, 'registration submitted');
        const user = await userOr404(registrationId);
        return { ...registrationStatus(user, signInWindowMs()), statusUrl: `/api/registrations/${registrationId}` };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/registrations/verify-email',
      tag: 'registration',
      security: 'public',
      summary: 'The emailed access key link: confirms the email address (a page for people, JSON for programs)',
      query: z.object({ key: z.string().min(1, 'key is missing: use the whole link from the email') }),
      response: statusSchema,
      alsoProduces: ['text/html'],
      errors: {
        404: 'The key is not one we sent',
        409: 'The key was used, replaced by a newer one or expired, or the registration is past this step',
      },
      handler: async ({ query }, req, res) => {
        const html = req.accepts(['json', 'html']) === 'html';
        try {
          const key = await prisma.accessKey.findUnique({ where: { keyHash: hashToken(query.key) }, include: { user: true } });
          if (!key) throw new HttpError(404, 'unknown_key', 'This link is not valid: copy the whole link from the most recent email');
          const resend = { registrationId: key.userId, resendUrl: `/api/registrations/${key.userId}/access-key` };
          if (key.usedAt) throw new HttpError(409, 'key_used', 'This link was already used: your email address is confirmed', resend);
          if (key.user.status !== 'PENDING_EMAIL') {
            throw new HttpError(409, 'key_not_usable', `This registration is ${STATUS_LABELS[key.user.status].toLowerCase()}; the link is no longer needed`, resend);
          }
          if (key.supersededAt) {
            throw new HttpError(409, 'key_replaced', 'This link was replaced by a newer one: use the link in the most recent email', resend);
          }
          if (key.expiresAt <= new Date()) throw new HttpError(409, 'key_expired', 'This link has expired: ask for a new one', resend);
          try {
            await handleFor(key.user).executeUpdate(confirmEmailUpdate, { args: [key.id] });
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'key_not_usable', refusal(err), resend);
            if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'key_not_usable', 'This registration has ended: register again', resend);
            throw err;
          }
          const result = registrationStatus(await userOr404(key.userId), signInWindowMs());
          if (!html) return result;
          res.status(200).type('html').send(page('Email address confirmed', `<p>${escapeHtml(result.message)}</p>`));
        } catch (err) {
          if (!(html && err instanceof HttpError)) throw err;
          res.status(err.status).type('html').send(page('This link cannot be used', `<p>${escapeHtml(err.message)}.</p>`));
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/registrations/:registrationId',
      tag: 'registration',
      security: 'public',
      summary: "A registration's status in plain words",
      params: registrationIdParams,
      response: statusSchema,
      errors: { 404: 'No such registration' },
      handler: async ({ params }) => registrationStatus(await userOr404(params.registrationId), signInWindowMs()),
    }),
    defineRoute({
      method: 'post',
      path: '/api/registrations/:registrationId/access-key',
      tag: 'registration',
      security: 'public',
      summary: 'Send a new access key link; it replaces the older ones (a limited number of sends)',
      params: registrationIdParams,
      status: 202,
      response: statusSchema.extend({ accessKeySends: z.number(), accessKeyExpiresAt: z.iso.datetime().optional() }),
      errors: { 404: 'No such registration', 409: 'The email is already confirmed, the registration ended, or the send limit is reached' },
      handler: async ({ params }) => {
        const user = await userOr404(params.registrationId);
        if (user.status !== 'PENDING_EMAIL') {
          throw new HttpError(409, 'not_waiting_for_email', `This registration is ${STATUS_LABELS[user.status].toLowerCase()}; no new link is needed`);
        }
        let view: RegistrationView;
        try {
          view = await handleFor(user).executeUpdate(resendAccessKeyUpdate);
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'cannot_resend', refusal(err));
          throw err;
        }
        return {
          ...registrationStatus(await userOr404(user.id), signInWindowMs()),
          accessKeySends: view.accessKeySends,
          accessKeyExpiresAt: view.accessKeyExpiresAt,
        };
      },
    }),
    ...supportRegistrationRoutes(ctx, userOr404, handleFor),
  ];
}

const usernameKeyOf = (data: Registration) => usernameKey(data.login.username);

function supportRegistrationRoutes(
  ctx: ApiContext,
  userOr404: (id: string) => Promise<RegisteredUser>,
  handleFor: (u: Pick<User, 'id' | 'workflowId'>) => ReturnType<ApiContext['temporal']['workflow']['getHandle']>,
) {
  // Web Customer Service verifies registrations that automatic verification could not decide.
  const security = allow(ctx, 'SUPPORT', 'ADMIN');
  const item = z.object({
    registrationId: z.uuid(),
    status: z.enum(STATUSES),
    waitingOnSupport: z.boolean(),
    reviewReasons: z.array(z.string()),
    name: z.string(),
    role: z.string(),
    email: z.string().nullable(),
    username: z.string().nullable(),
    organization: z.object({ name: z.string(), addressLines: z.array(z.string()) }).nullable(),
    tins: z.array(z.string()),
    planIds: z.array(z.string()),
    registeredAt: z.iso.datetime(),
    emailVerifiedAt: z.iso.datetime().nullable(),
  });
  type Row = User & { tins: { tin: string }[]; plans: { planId: string }[] };
  const toItem = (u: Row): z.infer<typeof item> => ({
    registrationId: u.id,
    status: u.status,
    waitingOnSupport: u.status === 'PENDING_ACTIVATION' && !!u.statusReason,
    reviewReasons: u.status === 'PENDING_ACTIVATION' && u.statusReason ? u.statusReason.split('\n') : [],
    name: `${u.firstName} ${u.lastName}`,
    role: u.role ? ROLE_LABELS[u.role] : '',
    email: u.email ?? u.releasedEmail,
    username: u.username ?? u.releasedUsername,
    organization: organizationOf(u),
    tins: u.tins.map((t) => formatTin(t.tin)),
    planIds: u.plans.map((p) => p.planId),
    registeredAt: u.registeredAt.toISOString(),
    emailVerifiedAt: u.emailVerifiedAt?.toISOString() ?? null,
  });

  return [
    defineRoute({
      method: 'get',
      path: '/api/support/registrations',
      tag: 'support',
      summary: 'Registrations by status, oldest first; `waitingOnSupport=true` lists those that need a decision',
      security,
      query: z.object({
        status: z.enum(STATUSES, { error: `status must be one of ${STATUSES.join(', ')}` }).optional(),
        waitingOnSupport: z.enum(['true', 'false'], { error: 'waitingOnSupport must be true or false' }).optional(),
        limit: z.coerce.number({ error: 'limit must be a number' }).int().min(1).max(200).default(50),
      }),
      response: z.object({ registrations: z.array(item) }),
      handler: async ({ query }) => {
        const waiting = query.waitingOnSupport === 'true';
        const rows = await ctx.prisma.user.findMany({
          where: {
            accessRole: 'PROVIDER',
            ...(query.status ? { status: query.status } : {}),
            ...(waiting ? { status: 'PENDING_ACTIVATION', statusReason: { not: null } } : {}),
          },
          include: { tins: true, plans: true },
          orderBy: { registeredAt: 'asc' },
          take: query.limit,
        });
        return { registrations: rows.map(toItem) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/registrations/:registrationId/decision',
      tag: 'support',
      summary: 'Approve or reject a registration that automatic verification could not decide (a reason is required to reject)',
      security,
      params: registrationIdParams,
      body: z.object({
        decision: z.enum(['APPROVE', 'REJECT'], { error: 'decision must be APPROVE or REJECT' }),
        reason: z.string().trim().max(1000, 'reason must be at most 1,000 characters').optional(),
      }).refine((b) => b.decision !== 'REJECT' || (b.reason ?? '').length >= MIN_REJECTION_REASON, {
        path: ['reason'],
        message: `A rejection needs a reason of at least ${MIN_REJECTION_REASON} characters that the office will read`,
      }),
      response: z.object({ registrationId: z.uuid(), status: z.enum(STATUSES), statusLabel: z.string() }),
      errors: { 404: 'No such registration', 409: 'The registration is not waiting for a support decision' },
      handler: async ({ params, body }, _req, res) => {
        const user = await userOr404(params.registrationId);
        if (user.status !== 'PENDING_ACTIVATION') {
          throw new HttpError(409, 'not_waiting_for_support', `This registration is ${STATUS_LABELS[user.status].toLowerCase()}, not waiting for a decision`);
        }
        try {
          await handleFor(user).executeUpdate(decideRegistrationUpdate, {
            args: [{ decision: body.decision, reason: body.reason, decidedBy: sessionOf(res).user.username!, decidedById: sessionOf(res).user.id }],
          });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'not_waiting_for_support', refusal(err));
          throw err;
        }
        const after = await userOr404(user.id);
        return { registrationId: after.id, status: after.status, statusLabel: STATUS_LABELS[after.status] };
      },
    }),
  ];
}
