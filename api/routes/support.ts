import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { searchAttributes } from '../../common/searchAttributes';
import { recordTypeOf } from '../../common/temporal';
import type { Case } from '../../generated/prisma/client';
import { cancelUpdate, resendLetterUpdate, resyncMirrorUpdate, type Actor } from '../../workflows/case';
import { auditNowUpdate, mirrorAuditWorkflow, mirrorAuditWorkflowId } from '../../workflows/mirrorAudit';
import { resendAccessKeyUpdate, resyncRegistrationMirrorUpdate } from '../../workflows/registration';
import { RETRY_WAIT_MS, runningInWords, whenRetryable } from '../activityRetry';
import { allow, auditActor, clientIp, plansOf, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';
import { supportConsole } from '../supportConsole';

const workflowParams = z.object({
  workflowId: z.string().regex(/^(case|registration)-[A-Za-z0-9-]{8,80}$/, 'workflowId is a case-… or registration-… workflow id, as the lists give it'),
});
const caseParams = z.object({ caseNumber: z.string().regex(/^PA-\d{4}-\d{4}-\d{3}$/, 'caseNumber looks like PA-1234-5678-901') });
const reasonBody = z.object({ reason: z.string({ error: 'reason is required: say why (kept in the audit log)' }).trim().min(5, 'Say why, in at least 5 characters (kept in the audit log)').max(1000) });
const durationQuery = z
  .string()
  .regex(/^\d+(m|h|d)$/, 'a duration such as 30m, 4h or 2d')
  .transform((s) => msToNumber(s as '1h'))
  // Beyond what a date can hold, "in state since" has no time to write (it was a 500).
  .refine((ms) => ms <= 3650 * 86_400_000, 'a duration of at most 3650d (ten years)');
const itemSchema = z.looseObject({ workflowId: z.string(), recordType: z.string(), status: z.string().nullable(), waitingOn: z.string().nullable(), webUiUrl: z.string() });

/**
 * The support console's API: find any case or registration by what it waits on and for how
 * long, see in plain words why it is stuck, and repair it. Support staff inspect and repair but
 * never decide a case; every repair is audited with who, why and from where.
 */
export function supportRoutes(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  const support = allow(ctx, 'SUPPORT');
  const console = supportConsole(ctx);
  const me = (res: Response): Actor => ({ name: sessionOf(res).user.username!, role: 'SUPPORT' });

  const repaired = (req: Request, res: Response, action: string, workflowId: string, details: Record<string, unknown>) =>
    audit(prisma, { actor: auditActor(sessionOf(res).user), action: `support.${action}`, subjectType: 'workflow', subjectId: workflowId, details: details as object, ip: clientIp(req) });

  /** The workflow's refusal as a 409 that says why; a closed one as "closed". */
  const refused = (err: unknown): never => {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as { cause?: { message?: string }; message?: string } | undefined;
      throw new HttpError(409, 'not_possible_now', cause?.cause?.message ?? cause?.message ?? 'The workflow refused this now');
    }
    if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'workflow_closed', 'This workflow has closed: there is nothing left to repair in it');
    throw err;
  };

  async function caseOr404(caseNumber: string): Promise<Case> {
    const c = await prisma.case.findUnique({ where: { caseNumber } });
    if (!c) throw new HttpError(404, 'not_found', `No case ${caseNumber}`);
    return c;
  }

  return [
    defineRoute({
      method: 'get',
      path: '/api/support/workflows',
      tag: 'support',
      summary: 'Running cases and registrations by status, what they wait on, time in their state and risk of missing the decision timeframe (from Temporal visibility)',
      security: support,
      query: z.object({
        type: z.enum(['CASE', 'REGISTRATION'], { error: 'type is CASE or REGISTRATION' }).optional(),
        status: z.string().regex(/^[A-Z_]{1,40}$/, 'status is a status such as PENDED_NURSE or PENDING_ACTIVATION').optional(),
        waitingOn: z.string().regex(/^[A-Z_]{1,40}$/, 'waitingOn is NURSE, PHYSICIAN, PEER_TO_PEER, OFFICE, SUPPORT, PROVIDER_EMAIL or PROVIDER_SIGN_IN').optional(),
        inStateFor: durationQuery.optional().describe('Only those in their current state for longer than this (30m, 4h, 2d)'),
        atRisk: z.enum(['true', 'false'], { error: 'atRisk is true or false' }).optional().describe('Only cases due within AT_RISK_WITHIN, or overdue'),
        limit: z.coerce.number({ error: 'limit is a number' }).int().min(1).max(500).default(100),
      }),
      response: z.object({ workflows: z.array(itemSchema) }),
      handler: async ({ query }) => ({
        workflows: await console.list({ type: query.type, status: query.status, waitingOn: query.waitingOn, inStateForMs: query.inStateFor, atRisk: query.atRisk === 'true', limit: query.limit }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/support/lookup',
      tag: 'support',
      summary: 'The workflow of a case number, a registration id, or a workflow id as given',
      security: support,
      query: z.object({ ref: z.string({ error: 'ref is a case number, a registration id or a workflow id' }).trim().min(8).max(100) }),
      response: z.object({ workflowId: z.string(), recordType: z.string(), caseNumber: z.string().optional(), registrationId: z.string().optional() }),
      errors: { 404: 'Nothing matches' },
      handler: async ({ query }) => {
        const ref = query.ref;
        if (/^PA-\d{4}-\d{4}-\d{3}$/.test(ref)) {
          const c = await prisma.case.findUnique({ where: { caseNumber: ref }, select: { workflowId: true } });
          if (c) return { workflowId: c.workflowId, recordType: 'CASE', caseNumber: ref };
        } else if (/^[0-9a-f-]{36}$/i.test(ref)) {
          const u = await prisma.user.findUnique({ where: { id: ref.toLowerCase() }, select: { workflowId: true, accessRole: true } });
          if (u?.workflowId && u.accessRole === 'PROVIDER') return { workflowId: u.workflowId, recordType: 'REGISTRATION', registrationId: ref.toLowerCase() };
        } else if (workflowParams.shape.workflowId.safeParse(ref).success) {
          return { workflowId: ref, recordType: recordTypeOf(ref) };
        }
        throw new HttpError(404, 'not_found', `Nothing matches ${ref}: give a case number (PA-1234-5678-901), a registration id or a workflow id`);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/support/stuck',
      tag: 'support',
      summary: 'Everything stuck, each with its reasons in plain words and the repairs that apply: failing activities, failing workflow code, mirror drift, overdue reviews and support decisions, manual follow-ups',
      security: support,
      response: z.object({ stuck: z.array(itemSchema.extend({ reasons: z.array(z.looseObject({ kind: z.string(), text: z.string(), since: z.string(), repairs: z.array(z.string()) })) })) }),
      handler: async () => ({ stuck: await console.stuck() }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/support/workflows/:workflowId',
      tag: 'support',
      summary: "One case or registration: its state, problems, pending activities and timers, emails, the mirror against the workflow, and the history in plain words, with the Temporal Web UI link",
      security: support,
      params: workflowParams,
      response: z.looseObject({ workflowId: z.string(), timeline: z.array(z.object({ eventId: z.number(), at: z.string(), text: z.string() })), webUiUrl: z.string() }),
      errors: { 404: 'No such workflow' },
      handler: async ({ params }) => {
        const found = await console.inspect(params.workflowId);
        if (!found) throw new HttpError(404, 'not_found', `No workflow ${params.workflowId}`);
        return found;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/workflows/:workflowId/activities/:activityId/retry',
      tag: 'support',
      summary: 'Retry a failing activity now instead of at its next backoff (after the cause is fixed, e.g. the mail server is back)',
      security: support,
      params: workflowParams.extend({ activityId: z.string().regex(/^[\w-]{1,64}$/, 'activityId as the workflow view lists it') }),
      body: reasonBody,
      status: 202,
      response: z.object({ workflowId: z.string(), activityId: z.string(), message: z.string() }),
      errors: { 404: 'No such workflow, or the activity is not pending', 409: 'An attempt is running and did not end within a few seconds: try again when it ends' },
      handler: async ({ params, body }, req, res) => {
        const handle = temporal.workflow.getHandle(params.workflowId);
        let seen = false;
        const read = async () => {
          const d = await handle.describe().catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `No workflow ${params.workflowId}`);
            throw err;
          });
          const pending = d.raw.pendingActivities?.find((a) => a.activityId === params.activityId);
          seen ||= !!pending;
          return pending;
        };
        const ready = await whenRetryable(read, { waitMs: RETRY_WAIT_MS, marginMs: 500, pollMs: 100 });
        if (ready.kind === 'finished') {
          const why = seen ? 'it finished while this waited for its running attempt to end' : 'it finished, or the id is wrong';
          throw new HttpError(404, 'not_pending', `Activity ${params.activityId} is not pending in ${params.workflowId}: ${why}`);
        }
        if (ready.kind === 'running') {
          const label = await console.activityInWords(params.workflowId, params.activityId).catch(() => undefined);
          throw new HttpError(409, 'attempt_running', runningInWords(ready.pending, Date.now(), label));
        }
        const pending = ready.pending;
        await temporal.workflowService.resetActivity({ namespace: config.TEMPORAL_NAMESPACE, execution: { workflowId: params.workflowId }, id: params.activityId, identity: `support:${sessionOf(res).user.username}` });
        await repaired(req, res, 'activity_retried', params.workflowId, { reason: body.reason, activityId: params.activityId, activityType: pending.activityType?.name, attempt: pending.attempt });
        return { workflowId: params.workflowId, activityId: params.activityId, message: 'Retrying now: the attempt count starts again at 1' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/workflows/:workflowId/terminate',
      tag: 'support',
      summary: 'Terminate a broken workflow (e.g. its code fails on every try) and flag the case or registration for manual follow-up',
      security: support,
      params: workflowParams,
      body: reasonBody,
      response: z.object({ workflowId: z.string(), problemId: z.string(), message: z.string() }),
      errors: { 404: 'No such workflow', 409: 'The workflow has closed already' },
      handler: async ({ params, body }, req, res) => {
        const username = sessionOf(res).user.username!;
        try {
          await temporal.workflow.getHandle(params.workflowId).terminate(`terminated by support ${username}: ${body.reason}`);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'workflow_closed', `${params.workflowId} is not running: there is nothing to terminate`);
          throw err;
        }
        const now = new Date();
        const key = { workflowId_kind_key: { workflowId: params.workflowId, kind: 'MANUAL_FOLLOW_UP' as const, key: '' } };
        const flag = await prisma.workflowProblem.upsert({
          where: key,
          create: { ...key.workflowId_kind_key, recordType: recordTypeOf(params.workflowId), subject: 'the terminated workflow', detail: body.reason, createdBy: username, firstSeenAt: now, lastSeenAt: now },
          update: { detail: body.reason, createdBy: username, firstSeenAt: now, lastSeenAt: now, resolvedAt: null, resolvedBy: null, resolution: null },
        });
        await prisma.workflowProblem.updateMany({
          where: { workflowId: params.workflowId, kind: { in: ['ACTIVITY_RETRYING', 'WORKFLOW_TASK_FAILING'] }, resolvedAt: null },
          data: { resolvedAt: now, resolvedBy: username, resolution: 'the workflow was terminated' },
        });
        await repaired(req, res, 'terminated', params.workflowId, { reason: body.reason, problemId: flag.id.toString() });
        return { workflowId: params.workflowId, problemId: flag.id.toString(), message: 'Terminated and flagged for manual follow-up: it stays on the stuck list until resolved' };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/workflows/:workflowId/resync',
      tag: 'support',
      summary: "Write the database mirror again from the workflow's own state (after the mirror drifted)",
      security: support,
      params: workflowParams,
      body: reasonBody,
      response: z.looseObject({ workflowId: z.string(), mirror: z.unknown() }),
      errors: { 409: 'The workflow has closed, or cannot do it now' },
      handler: async ({ params, body }, req, res) => {
        const handle = temporal.workflow.getHandle(params.workflowId);
        const type = recordTypeOf(params.workflowId);
        try {
          if (type === 'CASE') await handle.executeUpdate(resyncMirrorUpdate, { args: [me(res)] });
          else await handle.executeUpdate(resyncRegistrationMirrorUpdate, { args: [sessionOf(res).user.username!] });
        } catch (err) {
          refused(err);
        }
        const mirror = await console.mirrorCheck(params.workflowId, type as 'CASE');
        if (mirror.matches) {
          await prisma.workflowProblem.updateMany({
            where: { workflowId: params.workflowId, kind: 'MIRROR_DRIFT', resolvedAt: null },
            data: { resolvedAt: new Date(), resolvedBy: sessionOf(res).user.username, resolution: 'the mirror was written again from the workflow' },
          });
        }
        await repaired(req, res, 'mirror_resynced', params.workflowId, { reason: body.reason, matches: mirror.matches });
        return { workflowId: params.workflowId, mirror };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/mirror-audits',
      tag: 'support',
      summary: 'Compare the database mirror with every running case and registration now (the audit also runs every MIRROR_AUDIT_INTERVAL)',
      security: support,
      status: 200,
      response: z.object({ checked: z.number(), drifted: z.number(), resolved: z.number(), at: z.string() }),
      handler: async (_input, req, res) => {
        const start = new WithStartWorkflowOperation(mirrorAuditWorkflow, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: mirrorAuditWorkflowId(config.TEMPORAL_TASK_QUEUE),
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: searchAttributes.RecordType, value: 'MIRROR_AUDIT' }],
          args: [{ interval: config.MIRROR_AUDIT_INTERVAL, grace: config.MIRROR_AUDIT_GRACE }],
        });
        const result = await temporal.workflow.executeUpdateWithStart(auditNowUpdate, { startWorkflowOperation: start });
        await audit(prisma, { actor: auditActor(sessionOf(res).user), action: 'support.mirror_audit', subjectType: 'system', subjectId: 'mirror', details: { ...result }, ip: clientIp(req) });
        return result;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/problems/:problemId/resolve',
      tag: 'support',
      summary: 'Mark a problem resolved (a manual follow-up done), with a note',
      security: support,
      params: z.object({ problemId: z.string().regex(/^\d{1,18}$/, 'problemId is the number the stuck list gives') }),
      body: z.object({ note: z.string({ error: 'note is required' }).trim().min(5, 'Say what was done, in at least 5 characters').max(1000) }),
      response: z.object({ problemId: z.string(), resolvedAt: z.string() }),
      errors: { 404: 'No such open problem' },
      handler: async ({ params, body }, req, res) => {
        const username = sessionOf(res).user.username!;
        const p = await prisma.workflowProblem.findUnique({ where: { id: BigInt(params.problemId) } });
        if (!p || p.resolvedAt) throw new HttpError(404, 'not_found', `No open problem ${params.problemId}`);
        const now = new Date();
        await prisma.workflowProblem.update({ where: { id: p.id }, data: { resolvedAt: now, resolvedBy: username, resolution: body.note } });
        await repaired(req, res, 'problem_resolved', p.workflowId, { problemId: params.problemId, kind: p.kind, note: body.note });
        return { problemId: params.problemId, resolvedAt: now.toISOString() };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/cases/:caseNumber/letters/:purpose/resend',
      tag: 'support',
      summary: "Send a case's letter again (as the case's emails list it, e.g. decision-4), composed from the case as it is now",
      security: support,
      params: caseParams.extend({ purpose: z.string().regex(/^(decision|info_request|cancelled|peer_to_peer)-\d+$/, 'purpose is a letter as the case view lists it, e.g. decision-4') }),
      body: reasonBody,
      response: z.object({ caseNumber: z.string(), purpose: z.string(), message: z.string() }),
      errors: { 404: 'No such case or letter', 409: 'The case workflow has closed' },
      handler: async ({ params, body }, req, res) => {
        const c = await caseOr404(params.caseNumber);
        const sent = await prisma.emailDelivery.findUnique({ where: { workflowId_purpose: { workflowId: c.workflowId, purpose: params.purpose } } });
        if (!sent) throw new HttpError(404, 'not_found', `Case ${c.caseNumber} has no letter ${params.purpose}: see the case's emails`);
        try {
          await temporal.workflow.getHandle(c.workflowId).executeUpdate(resendLetterUpdate, { args: [params.purpose, me(res)] });
        } catch (err) {
          refused(err);
        }
        await repaired(req, res, 'letter_resent', c.workflowId, { reason: body.reason, caseNumber: c.caseNumber, purpose: params.purpose });
        return { caseNumber: c.caseNumber, purpose: params.purpose, message: `The letter is on its way again to the office (${sent.subject})` };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/cases/:caseNumber/assignee',
      tag: 'support',
      summary: "Reassign a case to another reviewer of its plan (a nurse or physician), or release it (username null)",
      security: allow(ctx, 'SUPPORT', 'SUPERVISOR'),
      params: caseParams,
      body: reasonBody.extend({ username: z.string({ error: 'username is a reviewer\'s username, or null to release the case' }).trim().min(1).max(64).nullable() }),
      response: z.object({ caseNumber: z.string(), assignedTo: z.string().nullable(), previous: z.string().nullable() }),
      errors: { 404: 'No such case (in your plans)', 409: 'The person is not an active reviewer of the case\'s plan' },
      handler: async ({ params, body }, req, res) => {
        const c = await caseOr404(params.caseNumber);
        const plans = await plansOf(ctx, sessionOf(res).user);
        if (plans && !plans.includes(c.planId)) throw new HttpError(404, 'not_found', `No case ${params.caseNumber} in the health plans you work`);
        if (body.username) {
          const r = await prisma.user.findFirst({ where: { usernameKey: body.username.toLowerCase() }, include: { plans: true } });
          const fit = r && r.status === 'ACTIVE' && !r.disabledAt && (r.accessRole === 'NURSE' || r.accessRole === 'PHYSICIAN') && r.plans.some((p) => p.planId === c.planId);
          if (!fit) throw new HttpError(409, 'not_a_reviewer', `${body.username} is not an active nurse or physician of health plan ${c.planId}`);
        }
        const assignedTo = body.username ? (await prisma.user.findFirstOrThrow({ where: { usernameKey: body.username.toLowerCase() } })).username : null;
        await prisma.case.update({ where: { id: c.id }, data: { assignedTo } });
        await repaired(req, res, 'reassigned', c.workflowId, { reason: body.reason, caseNumber: c.caseNumber, from: c.assignedTo, to: assignedTo });
        return { caseNumber: c.caseNumber, assignedTo, previous: c.assignedTo };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/cases/:caseNumber/cancel',
      tag: 'support',
      summary: 'Cancel a case for the office (decision C), with the reason the office gave; the office gets the cancellation letter',
      security: support,
      params: caseParams,
      body: reasonBody,
      response: z.looseObject({ caseNumber: z.string() }),
      errors: { 404: 'No such case', 409: 'Nothing to cancel, or the case workflow has closed' },
      handler: async ({ params, body }, req, res) => {
        const c = await caseOr404(params.caseNumber);
        let view: unknown;
        try {
          view = await temporal.workflow.getHandle(c.workflowId).executeUpdate(cancelUpdate, { args: [body.reason, undefined, me(res)] });
        } catch (err) {
          refused(err);
        }
        await repaired(req, res, 'case_cancelled', c.workflowId, { reason: body.reason, caseNumber: c.caseNumber });
        return view as { caseNumber: string };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/support/registrations/:registrationId/access-key',
      tag: 'support',
      summary: 'Email a new access key link to an office that lost it (the older link stops working)',
      security: support,
      params: z.object({ registrationId: z.uuid('registrationId is the id of a registration') }),
      body: reasonBody,
      status: 202,
      response: z.object({ registrationId: z.string(), accessKeySends: z.number() }),
      errors: { 404: 'No such registration', 409: 'The registration is past its email step, or the sends are used up' },
      handler: async ({ params, body }, req, res) => {
        const u = await prisma.user.findUnique({ where: { id: params.registrationId } });
        if (!u || u.accessRole !== 'PROVIDER' || !u.workflowId) throw new HttpError(404, 'not_found', `No registration ${params.registrationId}`);
        let sends = 0;
        try {
          sends = (await temporal.workflow.getHandle(u.workflowId).executeUpdate(resendAccessKeyUpdate)).accessKeySends;
        } catch (err) {
          refused(err);
        }
        await repaired(req, res, 'access_key_resent', u.workflowId, { reason: body.reason, registrationId: u.id });
        return { registrationId: u.id, accessKeySends: sends };
      },
    }),
  ];
}
