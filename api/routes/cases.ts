import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Duration, UpdateDefinition } from '@temporalio/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { searchAttributes } from '../../common/searchAttributes';
import { evaluateRequest, planById, reviewRequest } from '../../activities/requestChecks';
import type { DraftContent } from '../../domain/draft';
import { caseNumberOf } from '../../domain/orders';
import type { PrismaClient } from '../../common/db';
import type { Case, Prisma, User } from '../../generated/prisma/client';
import type { ReviewerRole } from '../../domain/access';
import {
  addInformationUpdate,
  ADDITIONAL_INFO_LIMIT,
  cancelUpdate,
  caseStatusQuery,
  caseWorkflowV4,
  chooseProviderUpdate,
  extendOrderUpdate,
  nurseDecisionUpdate,
  peerToPeerOutcomeUpdate,
  physicianDecisionUpdate,
  proposeCallWindowsUpdate,
  submitCaseUpdate,
  type Actor,
  type CaseView,
  type StaffRole,
} from '../../workflows/case';
import { allow, auditActor, clientIp, plansOf, sessionOf, staffActor } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';

const caseViewSchema = z
  .custom<CaseView>((v) => typeof v === 'object' && v !== null)
  .describe('The case as its workflow holds it: status, waiting on, due time, every exam with its decision code, reasons and order numbers, and the timeline');
const caseParams = z.object({ caseNumber: z.string().regex(/^PA-\d{4}-\d{4}-\d{3}$/, 'caseNumber looks like PA-1234-5678-901') });
const examParams = caseParams.extend({ exam: z.coerce.number({ error: 'exam is the exam number (1, 2, ...)' }).int().min(1).max(10) });
const npiBody = z.object({ npi: z.string().regex(/^\d{10}$/, 'npi must be the 10-digit NPI of a servicing facility') });
const hours = (h: number) => `${h}h` as Duration;
/** How long a read waits for the case workflow before it answers from the mirror. */
const QUERY_DEADLINE_MS = 5_000;

/**
 * The next case number: the sequence's next value, passing over any number that a case numbered
 * before the sequence existed (from a hash of its draft id) already holds.
 */
async function nextCaseNumber(prisma: PrismaClient): Promise<string> {
  for (;;) {
    const [{ n }] = await prisma.$queryRaw<[{ n: bigint }]>`SELECT nextval('case_number_seq') AS n`;
    const caseNumber = caseNumberOf(n);
    const held = await prisma.$queryRaw<unknown[]>`SELECT 1 FROM "Case" WHERE "caseNumber" = ${caseNumber}`;
    if (!held.length) return caseNumber;
  }
}

/** What the office should do next, in plain words, for each exam that needs it. */
function withNextSteps(view: CaseView): CaseView & { nextSteps: string[] } {
  const steps = view.exams.flatMap((e) => {
    const exam = `Exam ${e.index + 1} (${e.procedureCode})`;
    if (e.status === 'PENDED' && view.waitingOn === 'OFFICE' && view.infoRequest && !view.infoRequest.answeredAt) {
      return [`${exam}: the reviewer asks for information: ${view.infoRequest.message}. Add it as Additional Information before ${view.infoRequest.dueAt}.`];
    }
    if (e.status === 'PENDED' && view.stage === 'PEER_TO_PEER_WINDOWS') return [`${exam}: a physician offers a peer-to-peer call: propose at least two call windows.`];
    if (e.status === 'PENDED') {
      return [`${exam} is pended for clinical review: ${e.decisionReasons.join(' ')} You may add Additional Information (up to ${ADDITIONAL_INFO_LIMIT} characters) to help the reviewer.`];
    }
    if (e.status === 'APPROVED_AWAITING_PROVIDER') return [`${exam} is approved: choose the servicing provider to get the order number.`];
    return [];
  });
  return { ...view, nextSteps: steps };
}

/** What the audit log keeps of a decision: its action and exams (the reasons are in the case timeline). */
function decisionDetails(d: { action: string; exams?: number[]; exam?: number }) {
  return { action: d.action, ...(d.exams ? { exams: d.exams } : {}), ...(d.exam !== undefined ? { exam: d.exam } : {}) };
}

/** The workflow's refusal (a validator or a business failure) as a 409 that says why. */
function refused(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as { cause?: { message?: string }; message?: string } | undefined;
    throw new HttpError(409, 'not_possible_now', cause?.cause?.message ?? cause?.message ?? 'This step is not possible now');
  }
  if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'case_closed', 'This case is closed');
  throw err;
}

export function caseRoutes(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  const session = allow(ctx, 'PROVIDER');
  const handle = (c: Pick<Case, 'workflowId'>) => temporal.workflow.getHandle(c.workflowId);

  /** What an office user may see: the cases of their TINs in their health plans (a colleague's too). */
  async function officeScope(user: Pick<User, 'id'>) {
    const [tins, plans] = await Promise.all([
      prisma.userTin.findMany({ where: { userId: user.id }, select: { tin: true } }),
      prisma.userHealthPlan.findMany({ where: { userId: user.id }, select: { planId: true } }),
    ]);
    return { orderingTin: { in: tins.map((t) => t.tin) }, planId: { in: plans.map((p) => p.planId) } };
  }
  async function ownCase(caseNumber: string, user: Pick<User, 'id'>): Promise<Case> {
    const c = await prisma.case.findFirst({ where: { caseNumber, ...(await officeScope(user)) } });
    // Another office's case is "not found": a case number must not confirm that it exists.
    if (!c) throw new HttpError(404, 'not_found', `No case ${caseNumber} for your Tax IDs and health plans`);
    return c;
  }
  /** Who and what the case is for, as the office's printed order shows it. */
  async function requestSummary(c: Case) {
    const [member, physician, plan] = await Promise.all([
      prisma.member.findUnique({ where: { id: c.memberId } }),
      prisma.provider.findUnique({ where: { npi: c.orderingNpi } }),
      prisma.healthPlan.findUnique({ where: { id: c.planId } }),
    ]);
    const r = c.request as DraftContent;
    return {
      memberId: c.memberId,
      memberName: member ? `${member.firstName} ${member.lastName}` : null,
      memberBirthDate: member?.birthDate.toISOString().slice(0, 10) ?? null,
      healthPlan: { id: c.planId, name: plan?.name ?? c.planId },
      orderingProvider: { npi: c.orderingNpi, name: physician?.name ?? null },
      urgency: c.urgency,
      dateOfService: r.dateOfService ?? null,
    };
  }

  /** A case in the plans the signed-in reviewer is assigned (support: any plan). */
  async function reviewableCase(caseNumber: string, user: Pick<User, 'id' | 'accessRole'>): Promise<Case> {
    const plans = await plansOf(ctx, user);
    const c = await prisma.case.findUnique({ where: { caseNumber } });
    if (!c || (plans && !plans.includes(c.planId))) throw new HttpError(404, 'not_found', `No case ${caseNumber} in the health plans you work`);
    return c;
  }
  /**
   * The workflow's own view of the case; the database mirror when the workflow has closed, or
   * cannot answer now (no worker polling, Temporal unreachable): a read never fails for that.
   */
  async function viewOf(c: Case): Promise<CaseView> {
    let view: CaseView;
    try {
      // Without a deadline, a query that no worker answers takes about 30 s to fail.
      view = await temporal.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle(c).query(caseStatusQuery));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) ctx.log.warn({ err, caseNumber: c.caseNumber }, 'case query failed: answering from the database mirror');
      view = c.view as unknown as CaseView;
    }
    // The case row is written before its first determination (and a worker may die between the
    // two): a case without its exams is not an answer to give, but one to ask again for.
    if (!view?.exams?.length) throw new HttpError(503, 'case_opening', `Case ${c.caseNumber} is still being opened: ask again in a few seconds`);
    return view;
  }
  /** A step of the case through its workflow, audited (who, what, from where) once the workflow took it. */
  const update = async <A extends [unknown, ...unknown[]]>(
    c: Case,
    def: UpdateDefinition<CaseView, A>,
    args: A,
    step: { req: Request; res: Response; action: string; details?: Record<string, unknown> },
  ): Promise<CaseView> => {
    let view: CaseView;
    try {
      view = await handle(c).executeUpdate(def, { args });
    } catch (err) {
      return refused(err);
    }
    const { user } = sessionOf(step.res);
    await audit(prisma, { actor: auditActor(user), action: `case.${step.action}`, subjectType: 'case', subjectId: c.id, details: step.details as object | undefined, ip: clientIp(step.req) });
    return view;
  };

  const office = [
    defineRoute({
      method: 'post',
      path: '/api/drafts/:draftId/submit',
      tag: 'cases',
      summary: 'Submit a draft: one round trip returns the case number and the first determination of every exam (idempotent per draft)',
      security: session,
      params: z.object({ draftId: z.uuid() }),
      status: 201,
      response: z.custom<CaseView & { duplicateOf?: unknown }>((v) => typeof v === 'object' && v !== null),
      errors: { 404: 'No such draft of yours', 409: 'The draft was discarded', 422: 'The draft has problems to fix first', 503: 'The case is still being opened (a retried submission): ask again' },
      handler: async ({ params }, req, res) => {
        const { user } = sessionOf(res);
        // The draft, and whether it has a case already, in one query.
        const [draft] = await prisma.$queryRaw<{ userId: string; status: string; content: unknown; caseId: string | null }[]>`
          SELECT d."userId", d."status", d."content", c."id" AS "caseId" FROM "Draft" d LEFT JOIN "Case" c ON c."draftId" = d."id" WHERE d."id" = ${params.draftId}::uuid`;
        if (!draft || draft.userId !== user.id) throw new HttpError(404, 'not_found', `No draft ${params.draftId} of yours`);
        if (draft.caseId) {
          res.locals.status = 200;
          return withNextSteps(await viewOf(await prisma.case.findUniqueOrThrow({ where: { id: draft.caseId } })));
        }
        if (draft.status !== 'OPEN') throw new HttpError(409, 'draft_closed', `This draft was ${draft.status.toLowerCase()}`);
        const content = draft.content as DraftContent;
        const review = await reviewRequest(prisma, user, content);
        if (!review.ready) {
          throw new HttpError(422, 'draft_has_problems', `Fix ${review.problems.length} problem(s) first`, { problems: review.problems });
        }
        const plan = await planById(prisma, review.member!.healthPlan.id);
        if (!plan) throw new Error(`Health plan ${review.member!.healthPlan.id} of member ${review.member!.memberId} is not in the database`);

        // The same member and procedure with an active order: that order, not a new case.
        if (plan.returnActiveOrderForDuplicate) {
          const codes = review.exams.map((e) => e.procedure!.code);
          // One query (the newest such order), not the member's orders with their cases and exams.
          const [active] = await prisma.$queryRaw<{ caseId: string; number: string; procedureCode: string; expiresAt: Date }[]>`
            SELECT o."caseId", o."number", e."procedureCode", o."expiresAt"
            FROM "OrderNumber" o
            JOIN "Case" c ON c."id" = o."caseId"
            JOIN "CaseExam" e ON e."caseId" = o."caseId" AND e."examIndex" = o."examIndex"
            WHERE o."status" = 'ACTIVE' AND c."memberId" = ${review.member!.memberId} AND e."procedureCode" = ANY(${codes}::text[])
            ORDER BY o."issuedAt" DESC
            LIMIT 1`;
          if (active) {
            const c = await prisma.case.findUniqueOrThrow({ where: { id: active.caseId } });
            res.locals.status = 200;
            const view = await viewOf(c);
            return { ...view, duplicateOf: { caseNumber: c.caseNumber, orderNumber: active.number, procedureCode: active.procedureCode, expiresAt: active.expiresAt.toISOString() } };
          }
        }

        const urgent = content.urgency === 'URGENT';
        // Every exam meeting its guideline: the case opens decided, and the start shows it (the
        // workflow then writes no search attributes of its own unless its opening decides otherwise).
        const preview = await evaluateRequest(prisma, content, review);
        const shown = preview.every((p) => p.outcome === 'MET')
          ? { status: 'DECIDED', waitingOn: review.exams.every((e) => e.servicingProvider) ? 'NOBODY' : 'OFFICE' }
          : undefined;
        // Both per request: a second submission of the draft meets the first one's workflow, which
        // keeps its own (the second's number is never used).
        const caseId = randomUUID();
        const caseNumber = await nextCaseNumber(prisma);
        const operation = new WithStartWorkflowOperation(caseWorkflowV4, {
          // Opaque and per draft: a second submission of the draft meets the first workflow.
          workflowId: `case-${params.draftId}`,
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [
            { key: searchAttributes.RecordType, value: 'CASE' },
            { key: searchAttributes.Program, value: review.exams[0]!.procedure!.program! },
            { key: searchAttributes.HealthPlan, value: plan.id },
            { key: searchAttributes.Urgency, value: urgent ? 'EXPEDITED' : 'STANDARD' },
            ...(shown
              ? [
                  { key: searchAttributes.RecordStatus, value: shown.status },
                  { key: searchAttributes.WaitingOn, value: shown.waitingOn },
                  { key: searchAttributes.StatusSince, value: new Date() },
                ]
              : []),
          ],
          args: [
            {
              caseId,
              caseNumber,
              draftId: params.draftId,
              userId: user.id,
              request: content,
              ...(shown ? { shown } : {}),
              policy: {
                decisionTime: urgent
                  ? (config.EXPEDITED_DECISION_TIME ?? hours(plan.expeditedDecisionHours))
                  : (config.STANDARD_DECISION_TIME ?? hours(plan.standardDecisionHours)),
                warnFraction: config.DECISION_WARN_FRACTION,
                infoRequestTimeout: config.INFO_REQUEST_TIMEOUT,
                orderValidity: config.ORDER_VALIDITY ?? (`${plan.orderValidityDays}d` as Duration),
                extensionGrace: config.EXTENSION_GRACE,
              },
            },
          ],
        });
        const view = await temporal.workflow.executeUpdateWithStart(submitCaseUpdate, { startWorkflowOperation: operation });
        // Sent twice at once, both requests get here; only the one whose workflow it is (its case
        // id) created the case: the other answers 200 with the same case and is not audited again.
        if (view.caseId !== caseId) {
          res.locals.status = 200;
          return withNextSteps(view);
        }
        await audit(prisma, { actor: auditActor(user), action: 'case.submitted', subjectType: 'case', subjectId: view.caseId, ip: clientIp(req) });
        return withNextSteps(view);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/cases',
      tag: 'cases',
      summary: "The cases of the signed-in user's Tax IDs and health plans (colleagues' too), newest first",
      security: session,
      response: z.object({ cases: z.array(z.object({ caseNumber: z.string(), status: z.string(), waitingOn: z.string(), memberId: z.string(), submittedAt: z.string(), dueAt: z.string() })) }),
      handler: async (_input, _req, res) => ({
        cases: (await prisma.case.findMany({ where: await officeScope(sessionOf(res).user), orderBy: { submittedAt: 'desc' }, take: 200 })).map((c) => ({
          caseNumber: c.caseNumber,
          status: c.status,
          waitingOn: c.waitingOn,
          memberId: c.memberId,
          submittedAt: c.submittedAt.toISOString(),
          dueAt: c.dueAt.toISOString(),
        })),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cases/:caseNumber',
      tag: 'cases',
      summary: 'A case: the status and decision of every exam, order numbers, the timeline, and who and what it is for',
      security: session,
      params: caseParams,
      response: caseViewSchema,
      errors: { 404: 'No such case of yours' },
      handler: async ({ params }, _req, res) => {
        const c = await ownCase(params.caseNumber, sessionOf(res).user);
        return { ...withNextSteps(await viewOf(c)), request: await requestSummary(c) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/cases/:caseNumber/additional-information',
      tag: 'cases',
      summary: `Add Additional Information while the case waits for review (at most ${ADDITIONAL_INFO_LIMIT} characters, counted here)`,
      security: session,
      params: caseParams,
      body: z.object({
        text: z
          .string()
          .trim()
          .min(1, 'text is empty')
          .superRefine((t, ctx) => {
            const length = [...t].length;
            if (length > ADDITIONAL_INFO_LIMIT) ctx.addIssue({ code: 'custom', message: `text is limited to ${ADDITIONAL_INFO_LIMIT} characters; this has ${length}` });
          }),
      }),
      response: caseViewSchema,
      errors: { 404: 'No such case of yours', 409: 'The case is not waiting for review' },
      handler: async ({ params, body }, req, res) =>
        update(await ownCase(params.caseNumber, sessionOf(res).user), addInformationUpdate, [body.text], { req, res, action: 'information_added', details: { characters: [...body.text].length } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/cases/:caseNumber/exams/:exam/servicing-provider',
      tag: 'cases',
      summary: 'Choose the servicing provider of an approved exam (the order number is issued), or change it on an active order',
      security: session,
      params: examParams,
      body: npiBody,
      response: caseViewSchema,
      errors: { 404: 'No such case of yours', 409: 'Not possible for this exam now, or the facility does not qualify' },
      handler: async ({ params, body }, req, res) => {
        const c = await ownCase(params.caseNumber, sessionOf(res).user);
        return update(c, chooseProviderUpdate, [params.exam - 1, body.npi], { req, res, action: 'servicing_provider_set', details: { exam: params.exam, npi: body.npi } });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/cases/:caseNumber/exams/:exam/extension',
      tag: 'cases',
      summary: 'Extend an order: a new order number with a new validity window; the old one is superseded',
      security: session,
      params: examParams,
      response: caseViewSchema,
      errors: { 404: 'No such case of yours', 409: 'No order of this exam can be extended now' },
      handler: async ({ params }, req, res) =>
        update(await ownCase(params.caseNumber, sessionOf(res).user), extendOrderUpdate, [params.exam - 1], { req, res, action: 'order_extended', details: { exam: params.exam } }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/cases/:caseNumber/cancel',
      tag: 'cases',
      summary: 'Cancel exams waiting for review or with an active order (decision C); all exams unless listed',
      security: session,
      params: caseParams,
      body: z.object({
        reason: z.string().trim().min(3, 'Say why the request is cancelled').max(500),
        exams: z.array(z.number().int().min(1).max(10)).optional(),
      }),
      response: caseViewSchema,
      errors: { 404: 'No such case of yours', 409: 'Nothing to cancel' },
      handler: async ({ params, body }, req, res) =>
        update(await ownCase(params.caseNumber, sessionOf(res).user), cancelUpdate, [body.reason, body.exams?.map((e) => e - 1)], {
          req,
          res,
          action: 'cancelled',
          details: { reason: body.reason, ...(body.exams ? { exams: body.exams } : {}) },
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/api/cases/:caseNumber/peer-to-peer/windows',
      tag: 'cases',
      summary: 'Propose call windows (at least two) for the peer-to-peer the physician reviewer offered',
      security: session,
      params: caseParams,
      body: z.object({ windows: z.array(z.object({ start: z.iso.datetime(), end: z.iso.datetime() })).min(2, 'Propose at least two call windows').max(10) }),
      response: caseViewSchema,
      errors: { 404: 'No such case of yours', 409: 'Peer-to-peer was not offered, or windows were proposed already' },
      handler: async ({ params, body }, req, res) =>
        update(await ownCase(params.caseNumber, sessionOf(res).user), proposeCallWindowsUpdate, [body.windows], { req, res, action: 'call_windows_proposed', details: { windows: body.windows.length } }),
    }),
  ];

  /** Each queue, who works it, and which cases it holds. */
  const QUEUES = {
    nurse: { roles: ['NURSE', 'SUPERVISOR'], where: { status: 'PENDED_NURSE' }, summary: 'Cases waiting for a nurse review' },
    physician: { roles: ['PHYSICIAN', 'SUPERVISOR'], where: { status: 'PENDED_PHYSICIAN' }, summary: 'Cases waiting for a physician review' },
    'peer-to-peer': { roles: ['PHYSICIAN', 'SUPERVISOR'], where: { status: 'PENDED_PEER_TO_PEER_CALL' }, summary: 'Peer-to-peer calls waiting for their outcome' },
    supervisor: { roles: ['SUPERVISOR'], where: { warnedAt: { not: null }, decidedAt: null }, summary: 'Cases past the warning point of their decision timeframe' },
  } as const satisfies Record<string, { roles: ReviewerRole[]; where: Prisma.CaseWhereInput; summary: string }>;
  const examsList = z.array(z.number().int().min(1).max(10)).min(1, 'Name the exams');
  const queueItem = z.object({ caseNumber: z.string(), status: z.string(), urgency: z.string(), planId: z.string(), dueAt: z.string(), warned: z.boolean(), breached: z.boolean(), assignedTo: z.string().nullable() });
  const reviewers = allow(ctx, 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT');

  /** The signed-in reviewer as the case workflow sees them (its validators check the role again). */
  const reviewer = (res: Response): Actor => {
    const me = staffActor(res);
    return { name: me.name, role: me.role as StaffRole };
  };

  const reviewerRoutes = [
    ...Object.entries(QUEUES).map(([queue, q]) =>
      defineRoute({
        method: 'get',
        path: `/api/review/queues/${queue}`,
        tag: 'review',
        summary: `${q.summary}, in the health plans you work, by due time`,
        security: allow(ctx, ...q.roles),
        query: z.object({ planId: z.string().trim().optional().describe('Only this plan (one of yours)') }),
        response: z.object({ cases: z.array(queueItem) }),
        errors: { 403: 'Not your queue, or not one of your plans' },
        handler: async ({ query }, _req, res) => {
          const plans = (await plansOf(ctx, sessionOf(res).user)) ?? [];
          if (query.planId && !plans.includes(query.planId)) {
            throw new HttpError(403, 'not_your_plan', `You are not assigned to health plan ${query.planId}: your plans are ${plans.join(', ') || 'none'}`);
          }
          const rows = await prisma.case.findMany({
            where: { ...q.where, planId: { in: query.planId ? [query.planId] : plans } },
            orderBy: { dueAt: 'asc' },
            take: 200,
          });
          return {
            cases: rows.map((c) => ({
              caseNumber: c.caseNumber,
              status: c.status,
              urgency: c.urgency,
              planId: c.planId,
              dueAt: c.dueAt.toISOString(),
              warned: !!c.warnedAt,
              breached: !!c.breachedAt,
              assignedTo: c.assignedTo,
            })),
          };
        },
      }),
    ),
    defineRoute({
      method: 'get',
      path: '/api/review/cases/:caseNumber',
      tag: 'review',
      summary: 'Case detail for a reviewer (or support, read only): the request with its clinical answers, the guideline result of each exam, the timeline',
      security: reviewers,
      params: caseParams,
      response: z.object({ case: caseViewSchema, request: z.unknown(), assignedTo: z.string().nullable() }),
      errors: { 404: 'No such case in the health plans you work' },
      handler: async ({ params }, _req, res) => {
        const c = await reviewableCase(params.caseNumber, sessionOf(res).user);
        return { case: await viewOf(c), request: c.request, assignedTo: c.assignedTo };
      },
    }),
    ...(['claim', 'release'] as const).map((action) =>
      defineRoute({
        method: 'post',
        path: `/api/review/cases/:caseNumber/${action}`,
        tag: 'review',
        summary: action === 'claim' ? 'Claim a case: it is yours to work until you release it' : 'Release a case you claimed',
        security: allow(ctx, 'NURSE', 'PHYSICIAN'),
        params: caseParams,
        response: z.object({ caseNumber: z.string(), assignedTo: z.string().nullable() }),
        errors: { 404: 'No such case in the health plans you work', 409: 'Claimed by someone else' },
        handler: async ({ params }, req, res) => {
          const { user } = sessionOf(res);
          const me = reviewer(res).name;
          const c = await reviewableCase(params.caseNumber, user);
          const { count } = await prisma.case.updateMany({
            where: { id: c.id, ...(action === 'claim' ? { OR: [{ assignedTo: null }, { assignedTo: me }] } : { assignedTo: me }) },
            data: { assignedTo: action === 'claim' ? me : null },
          });
          if (!count) throw new HttpError(409, 'claimed', action === 'claim' ? `Case ${c.caseNumber} is claimed by ${c.assignedTo}` : 'You have not claimed this case');
          await audit(prisma, { actor: auditActor(user), action: `case.${action}ed`, subjectType: 'case', subjectId: c.id, ip: clientIp(req) });
          return { caseNumber: c.caseNumber, assignedTo: action === 'claim' ? me : null };
        },
      }),
    ),
    defineRoute({
      method: 'post',
      path: '/api/review/cases/:caseNumber/nurse-decision',
      tag: 'review',
      summary: 'Nurse: approve exams, ask the office for information, or escalate to a physician (nurses never deny)',
      security: allow(ctx, 'NURSE'),
      params: caseParams,
      body: z.discriminatedUnion('action', [
        z.object({ action: z.literal('APPROVE'), exams: examsList, note: z.string().max(1000).optional() }),
        z.object({ action: z.literal('REQUEST_INFO'), message: z.string().trim().min(10, 'Say what information is needed').max(2000) }),
        z.object({ action: z.literal('ESCALATE'), note: z.string().trim().min(5, 'Say why').max(1000) }),
      ], { error: 'action is APPROVE, REQUEST_INFO or ESCALATE (a nurse never denies)' }),
      response: caseViewSchema,
      errors: { 404: 'No such case', 409: 'Not your role, or the case is not at this step' },
      handler: async ({ params, body }, req, res) => {
        const d = body.action === 'APPROVE' ? { ...body, exams: body.exams.map((e) => e - 1) } : body;
        const c = await reviewableCase(params.caseNumber, sessionOf(res).user);
        return update(c, nurseDecisionUpdate, [reviewer(res), d], { req, res, action: 'nurse_decision', details: decisionDetails(body) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/review/cases/:caseNumber/physician-decision',
      tag: 'review',
      summary: 'Physician: approve, modify (A6), deny with a specific reason and the guideline (A3), or offer peer-to-peer',
      security: allow(ctx, 'PHYSICIAN'),
      params: caseParams,
      body: z.discriminatedUnion('action', [
        z.object({ action: z.literal('APPROVE'), exams: examsList, note: z.string().max(1000).optional() }),
        z.object({ action: z.literal('MODIFY'), exam: z.number().int().min(1), approvedUnits: z.number().int().min(1).optional(), procedureCode: z.string().optional(), reason: z.string().max(2000) }),
        z.object({ action: z.literal('DENY'), exam: z.number().int().min(1), reason: z.string().max(2000), guidelineReference: z.string().max(200) }),
        z.object({ action: z.literal('OFFER_PEER_TO_PEER'), message: z.string().trim().min(5).max(1000) }),
      ], { error: 'action is APPROVE, MODIFY, DENY or OFFER_PEER_TO_PEER' }),
      response: caseViewSchema,
      errors: { 404: 'No such case', 409: 'Not your role, the case is not at this step, or a reason is missing' },
      handler: async ({ params, body }, req, res) => {
        const c = await reviewableCase(params.caseNumber, sessionOf(res).user);
        let procedureDescription: string | undefined;
        if (body.action === 'MODIFY' && body.procedureCode) {
          // A different code must be a procedure of the same program.
          const code = await prisma.code.findUnique({ where: { system_code: { system: 'CPT', code: body.procedureCode.trim().toUpperCase() } } });
          if (!code?.program || code.program !== c.program) {
            const message = `${body.procedureCode} is not a procedure of this case's program`;
            throw new HttpError(400, 'validation_failed', message, { problems: [{ field: 'body.procedureCode', message }] });
          }
          body.procedureCode = code.code;
          procedureDescription = code.description;
        }
        const d =
          body.action === 'APPROVE'
            ? { ...body, exams: body.exams.map((e) => e - 1) }
            : body.action === 'MODIFY'
              ? { ...body, exam: body.exam - 1, ...(procedureDescription ? { procedureDescription } : {}) }
              : body.action === 'DENY'
                ? { ...body, exam: body.exam - 1 }
                : body;
        return update(c, physicianDecisionUpdate, [reviewer(res), d], { req, res, action: 'physician_decision', details: decisionDetails(body) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/review/cases/:caseNumber/peer-to-peer-outcome',
      tag: 'review',
      summary: 'Physician: the peer-to-peer outcome: overturned (approve), upheld (deny with reason), or not reached in the windows',
      security: allow(ctx, 'PHYSICIAN'),
      params: caseParams,
      body: z.discriminatedUnion('outcome', [
        z.object({ outcome: z.literal('OVERTURNED'), exams: examsList, note: z.string().trim().min(3).max(1000) }),
        z.object({ outcome: z.literal('UPHELD'), exam: z.number().int().min(1), reason: z.string().max(2000), guidelineReference: z.string().max(200) }),
        z.object({ outcome: z.literal('NOT_REACHED'), note: z.string().trim().min(3).max(1000) }),
      ], { error: 'outcome is OVERTURNED, UPHELD or NOT_REACHED' }),
      response: caseViewSchema,
      errors: { 404: 'No such case', 409: 'Not your role, or no call is waiting for its outcome' },
      handler: async ({ params, body }, req, res) => {
        const o = body.outcome === 'OVERTURNED' ? { ...body, exams: body.exams.map((e) => e - 1) } : body.outcome === 'UPHELD' ? { ...body, exam: body.exam - 1 } : body;
        const c = await reviewableCase(params.caseNumber, sessionOf(res).user);
        return update(c, peerToPeerOutcomeUpdate, [reviewer(res), o], { req, res, action: 'peer_to_peer_outcome', details: { outcome: body.outcome } });
      },
    }),
  ];

  return [...office, ...reviewerRoutes];
}
