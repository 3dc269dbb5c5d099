import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { audit } from '../../common/audit';
import { evaluateRequest, loadGuidelines, reviewRequest } from '../../activities/requestChecks';
import { codeKey } from '../../domain/codes';
import { draftContentSchema, isCalendarDate, type DraftContent } from '../../domain/draft';
import { selectGuideline } from '../../domain/guidelines';
import { Prisma, type Draft } from '../../generated/prisma/client';
import { allow, clientIp, sessionOf } from '../auth';
import type { ApiContext } from '../context';
import { HttpError } from '../errors';
import { defineRoute } from '../route';

const problemSchema = z.object({ field: z.string(), message: z.string() });
const reviewSchema = z
  .object({
    ready: z.boolean().describe('No problems: the draft can be previewed and submitted'),
    problems: z.array(problemSchema),
    member: z.unknown().optional(),
    orderingProvider: z.unknown().optional(),
    exams: z.array(
      z.object({
        index: z.number(),
        procedure: z.unknown().optional(),
        diagnoses: z.array(z.unknown()),
        guideline: z.unknown().optional().describe("The guideline's id, version, title and questions to answer"),
        noGuideline: z.string().optional(),
        servicingProvider: z.unknown().optional(),
      }),
    ),
  })
  .describe('Every problem of the draft at once, and what each exam resolves to (procedure, diagnoses, guideline questions)');
const draftSchema = z.object({
  draftId: z.uuid(),
  status: z.enum(['OPEN', 'SUBMITTED', 'DISCARDED']),
  revision: z.number().int(),
  content: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const REVISION = 'revision must be the revision number you edited (a whole number from 1)';
const revisionField = z.number({ error: REVISION }).int(REVISION).min(1, REVISION).max(2_147_483_647, REVISION);
const draftIdParams = z.object({ draftId: z.uuid('draftId must be the id returned when the draft was created') });

const idempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x20-\x7E]{1,200}$/, 'Idempotency-Key must be 1 to 200 printable ASCII characters, such as a UUID you generate for the request')
    .optional()
    .describe(
      'Optional, a key of your choosing (a UUID) for this request: sending it again with the same key, after a lost answer, answers 200 with the draft the first request created instead of creating another',
    ),
});

/** What an idempotency key is bound to: the request's content, whatever the order of its keys. */
function fingerprint(content: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(content))).digest('hex');
}

const view = (d: Draft) => ({
  draftId: d.id,
  status: d.status,
  revision: d.revision,
  content: d.content as Record<string, unknown>,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

/**
 * Request drafts: an office prepares a request, edits it, reviews every problem and previews
 * what the guidelines would decide, all before a case exists. Only the draft's author sees it.
 */
export function draftRoutes(ctx: ApiContext) {
  const { prisma } = ctx;
  const security = allow(ctx, 'PROVIDER');

  async function ownDraft(draftId: string, userId: string): Promise<Draft> {
    const d = await prisma.draft.findUnique({ where: { id: draftId } });
    // Another user's draft is "not found": its id must not confirm that it exists.
    if (!d || d.userId !== userId) throw new HttpError(404, 'not_found', `No draft ${draftId} of yours`);
    return d;
  }
  const open = (d: Draft) => {
    if (d.status !== 'OPEN') throw new HttpError(409, 'draft_closed', `This draft was ${d.status.toLowerCase()}: start a new one to change it`);
    return d;
  };

  return [
    defineRoute({
      method: 'post',
      path: '/api/drafts',
      tag: 'drafts',
      summary: 'Start a request draft (any part may still be missing); the answer includes its review. With an Idempotency-Key, a retry answers 200 with the same draft',
      security,
      headers: idempotencyHeaders,
      body: draftContentSchema,
      status: 201,
      response: draftSchema.extend({ review: reviewSchema }),
      errors: { 422: 'The Idempotency-Key was used for a different request' },
      handler: async ({ headers, body }, req, res) => {
        const { user } = sessionOf(res);
        const key = headers['Idempotency-Key'];
        const requestHash = key ? fingerprint(body) : null;
        /** The draft this user's key created already, if any; the key used for another request is refused. */
        const created = async () => {
          if (!key) return null;
          const d = await prisma.draft.findUnique({ where: { userId_idempotencyKey: { userId: user.id, idempotencyKey: key } } });
          if (d && d.requestHash !== requestHash) {
            throw new HttpError(
              422,
              'idempotency_key_reused',
              `This Idempotency-Key was used for a different request (draft ${d.id}): send a new key with a new request, or the same request again to get that draft`,
            );
          }
          return d;
        };
        let draft = await created();
        if (draft) res.locals.status = 200;
        else {
          try {
            draft = await prisma.$transaction(async (tx) => {
              const d = await tx.draft.create({ data: { id: randomUUID(), userId: user.id, content: body, idempotencyKey: key, requestHash } });
              await audit(tx, { actor: `user:${user.id}`, action: 'draft.created', subjectType: 'draft', subjectId: d.id, ip: clientIp(req) });
              return d;
            });
          } catch (err) {
            // The same key twice at the same moment: the unique (userId, idempotencyKey) kept the first.
            if (!(key && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002')) throw err;
            draft = await created();
            if (!draft) throw err;
            res.locals.status = 200;
          }
        }
        return { ...view(draft), review: await reviewRequest(prisma, user, draft.content as DraftContent) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/drafts',
      tag: 'drafts',
      summary: "The signed-in user's drafts, most recently changed first",
      security,
      query: z.object({ status: z.enum(['OPEN', 'SUBMITTED', 'DISCARDED'], { error: 'status must be OPEN, SUBMITTED or DISCARDED' }).default('OPEN') }),
      response: z.object({ drafts: z.array(draftSchema) }),
      handler: async ({ query }, _req, res) => ({
        drafts: (
          await prisma.draft.findMany({ where: { userId: sessionOf(res).user.id, status: query.status }, orderBy: { updatedAt: 'desc' }, take: 100 })
        ).map(view),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/drafts/:draftId',
      tag: 'drafts',
      summary: 'A draft with its review: every problem at once, in words an office understands',
      security,
      params: draftIdParams,
      response: draftSchema.extend({ review: reviewSchema }),
      errors: { 404: 'No such draft of yours' },
      handler: async ({ params }, _req, res) => {
        const { user } = sessionOf(res);
        const d = await ownDraft(params.draftId, user.id);
        return { ...view(d), review: await reviewRequest(prisma, user, d.content as DraftContent) };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/drafts/:draftId',
      tag: 'drafts',
      summary: 'Replace the content of a draft; name the revision you edited (a concurrent edit is a 409)',
      security,
      params: draftIdParams,
      body: z.object({ revision: revisionField, content: draftContentSchema }),
      response: draftSchema.extend({ review: reviewSchema }),
      errors: { 404: 'No such draft of yours', 409: 'The draft changed since that revision, or is no longer open' },
      handler: async ({ params, body }, req, res) => {
        const { user } = sessionOf(res);
        open(await ownDraft(params.draftId, user.id));
        const updated = await prisma.$transaction(async (tx) => {
          const { count } = await tx.draft.updateMany({
            where: { id: params.draftId, revision: body.revision, status: 'OPEN' },
            data: { content: body.content, revision: { increment: 1 } },
          });
          if (!count) {
            throw new HttpError(409, 'stale_revision', `The draft was changed since revision ${body.revision}: reload it and make your change again`);
          }
          await audit(tx, { actor: `user:${user.id}`, action: 'draft.edited', subjectType: 'draft', subjectId: params.draftId, ip: clientIp(req) });
          return tx.draft.findUniqueOrThrow({ where: { id: params.draftId } });
        });
        return { ...view(updated), review: await reviewRequest(prisma, user, body.content) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api/drafts/:draftId',
      tag: 'drafts',
      summary: 'Discard a draft',
      security,
      params: draftIdParams,
      status: 204,
      response: z.void(),
      errors: { 404: 'No such draft of yours', 409: 'The draft is no longer open' },
      handler: async ({ params }, req, res) => {
        const { user } = sessionOf(res);
        open(await ownDraft(params.draftId, user.id));
        await prisma.$transaction([
          prisma.draft.update({ where: { id: params.draftId }, data: { status: 'DISCARDED' } }),
          prisma.auditEvent.create({
            data: { actor: `user:${user.id}`, action: 'draft.discarded', subjectType: 'draft', subjectId: params.draftId, ip: clientIp(req) },
          }),
        ]);
        res.status(204).end();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/drafts/:draftId/preview',
      tag: 'drafts',
      summary: 'What would happen on submission, exam by exam, and why (the guidelines are evaluated; no case is created)',
      security,
      params: draftIdParams,
      response: z.object({
        draftId: z.uuid(),
        revision: z.number(),
        exams: z.array(
          z.object({
            index: z.number(),
            procedureCode: z.string(),
            outcome: z.enum(['MET', 'NOT_MET', 'NEEDS_REVIEW']),
            whatHappens: z.string(),
            reasons: z.array(z.string()),
            guideline: z.object({ id: z.string(), version: z.number() }).optional(),
            ruleIds: z.array(z.string()),
            approvedUnits: z.number().optional(),
          }),
        ),
      }),
      errors: { 404: 'No such draft of yours', 422: 'The draft has problems to fix first; `details.problems` lists them all' },
      handler: async ({ params }, _req, res) => {
        const { user } = sessionOf(res);
        const d = await ownDraft(params.draftId, user.id);
        const content = d.content as DraftContent;
        const review = await reviewRequest(prisma, user, content);
        if (!review.ready) {
          throw new HttpError(
            422,
            'draft_has_problems',
            `Fix ${review.problems.length} problem(s) first: ${review.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
            { problems: review.problems },
          );
        }
        return { draftId: d.id, revision: d.revision, exams: await evaluateRequest(prisma, content, review) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/guidelines',
      tag: 'drafts',
      security: 'public',
      summary: "The guideline (questions with help text) that applies to a procedure for a plan on a date",
      query: z.object({
        procedureCode: z.string().trim().min(1, 'procedureCode is required'),
        planId: z.string().trim().min(1, 'planId is required'),
        dateOfService: z.string().refine(isCalendarDate, 'dateOfService must be a date written YYYY-MM-DD'),
      }),
      response: z.object({
        id: z.string(),
        version: z.number(),
        title: z.string(),
        effectiveFrom: z.string(),
        effectiveTo: z.string().nullable(),
        questions: z.array(z.object({ id: z.string(), text: z.string(), type: z.string() }).catchall(z.unknown())),
      }),
      errors: { 404: 'No such procedure, or no guideline applies (a nurse reviews the exam)' },
      handler: async ({ query }) => {
        const procedure = await prisma.code.findUnique({ where: { system_code: { system: 'CPT', code: codeKey(query.procedureCode) } } });
        if (!procedure?.procedureGroup) {
          throw new HttpError(404, 'no_guideline', `No guideline for ${query.procedureCode}: a nurse reviews it`);
        }
        const g = selectGuideline(await loadGuidelines(prisma, [procedure.procedureGroup]), {
          procedureGroup: procedure.procedureGroup,
          healthPlanId: query.planId,
          dateOfService: query.dateOfService,
        });
        if (!g) throw new HttpError(404, 'no_guideline', `No guideline for ${query.procedureCode} on ${query.dateOfService}: a nurse reviews it`);
        return { id: g.id, version: g.version, title: g.title, effectiveFrom: g.effectiveFrom, effectiveTo: g.effectiveTo, questions: g.questions };
      },
    }),
  ];
}
