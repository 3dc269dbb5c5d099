import { randomUUID } from 'node:crypto';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isUniqueViolation } from '../common/db';
import type { DraftContent } from '../domain/draft';
import { newOrderNumber } from '../domain/orders';
import { normalizeTin } from '../domain/registration';
import type { CaseEvent, CaseView } from '../workflows/case';
import { openView } from '../workflows/caseView';
import { currentWorkflowId, deliverOnce, messageIdOf, type Email, type MailDeps } from './mail';
import { evaluateRequest, providerByNpi, reviewRequest } from './requestChecks';

/** An exam as the first determination leaves it (the workflow adds review state). */
export interface OpenedExam {
  index: number;
  procedureCode: string;
  procedureDescription: string;
  program: 'IMAGING' | 'REHAB';
  modality: string | null;
  requestedUnits?: number;
  approvedUnits?: number;
  servicingProviderNpi?: string;
  servicingProviderName?: string;
  outcome: 'MET' | 'NOT_MET' | 'NEEDS_REVIEW';
  reasons: string[];
  ruleIds: string[];
  guideline?: { id: string; version: number };
  /** The first order number, when the opening issued it (caseWorkflowV3: guideline MET, servicing provider known). */
  order?: IssuedOrder;
}

/** An order number as issued: the number and its validity. */
export interface IssuedOrder {
  number: string;
  issuedAt: string;
  expiresAt: string;
}

export type LetterKind = 'decision' | 'info_request' | 'cancelled' | 'peer_to_peer';

/** A case letter to send: `purpose` names it within the case (once per purpose), `examIndexes` the exams it tells of. */
export interface LetterRequest {
  purpose: string;
  kind: LetterKind;
  examIndexes: number[];
  message?: string;
}

/** Whom a case letter is for and goes to. */
interface LetterHead {
  caseNumber: string;
  orderingNpi: string;
  memberId: string;
  email: string | null;
  releasedEmail: string | null;
}

const EXAM_WORDS: Record<string, string> = {
  PENDED: 'pended for clinical review',
  APPROVED_AWAITING_PROVIDER: 'approved: choose the servicing provider to get the order number',
  APPROVED: 'approved',
  DENIED: 'denied',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
};

const iso = (t: string | undefined) => (t ? new Date(t).toISOString() : null);

/** The mirror's columns for a view of the case and its new timeline events. */
function mirrorColumns(v: CaseView, newEvents: CaseEvent[]) {
  return {
    status: v.status === 'PENDED' ? `PENDED_${v.stage}` : v.status,
    decidedAt: iso(v.decidedAt),
    closedAt: v.status === 'CLOSED' ? new Date().toISOString() : null,
    events: newEvents.map((e) => ({ seq: e.seq, at: iso(e.at), examIndex: e.examIndex ?? null, actor: e.actor, type: e.type, summary: e.summary })),
    exams: v.exams.map((e) => ({
      examIndex: e.index,
      status: e.status,
      decisionCode: e.decisionCode,
      procedureCode: e.procedureCode,
      approvedUnits: e.approvedUnits ?? null,
      servicingNpi: e.servicingProviderNpi ?? null,
      decidedBy: e.decidedBy ?? null,
      decidedAt: iso(e.decidedAt),
    })),
    orders: v.exams.flatMap((e) => e.orders.map((o) => ({ number: o.number, status: o.status }))),
  };
}

export function caseActivities(deps: MailDeps & { publicBaseUrl: string }) {
  const { prisma } = deps;

  return {
    /**
     * Checks the request again (reference data may have changed since the draft), evaluates
     * each exam against its guideline and persists the case. Idempotent: a retry finds the case.
     */
    async openCase(args: {
      caseId: string;
      caseNumber: string;
      draftId: string;
      userId: string;
      workflowId: string;
      request: DraftContent;
      submittedAt: string;
      dueAt: string;
      /**
       * Issue the first order number of every exam the guideline approves whose servicing provider
       * is known, in the same statement as the case (caseWorkflowV3): no step of its own for it.
       */
      firstOrders?: { validityMs: number };
      /**
       * caseWorkflowV4: write the opened case to the mirror in the same statement (the view the
       * workflow builds from this answer, see workflows/caseView.ts: `view` is the workflow's view
       * before the opening, every stamp `openedAt`, the write ordered by `at` and `version` as
       * mirrorCase's), then try the first decision letter as mirrorCase does: no step of its own
       * for either.
       */
      mirror?: { view: CaseView; openedAt: string; at: number; version: number; letterWaitMs: number };
    }): Promise<{ exams: OpenedExam[]; letter?: { sent: boolean; kind: LetterKind } }> {
      const review = await reviewRequest(prisma, { id: args.userId }, args.request, args.submittedAt.slice(0, 10));
      if (!review.ready) {
        throw ApplicationFailure.create({
          type: 'RequestInvalid',
          nonRetryable: true,
          message: `The request has problems: ${review.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
          details: [review.problems],
        });
      }
      const previews = await evaluateRequest(prisma, args.request, review);
      const exams: OpenedExam[] = review.exams.map((x) => {
        const p = previews.find((v) => v.index === x.index)!;
        const e = args.request.exams![x.index]!;
        return {
          index: x.index,
          procedureCode: x.procedure!.code,
          procedureDescription: x.procedure!.description,
          program: x.procedure!.program!,
          modality: x.procedure!.modality,
          ...(e.requestedUnits !== undefined ? { requestedUnits: e.requestedUnits } : {}),
          ...(p.approvedUnits !== undefined ? { approvedUnits: p.approvedUnits } : {}),
          ...(x.servicingProvider ? { servicingProviderNpi: x.servicingProvider.npi, servicingProviderName: x.servicingProvider.name } : {}),
          outcome: p.outcome,
          reasons: p.reasons,
          ruleIds: p.ruleIds,
          ...(p.guideline ? { guideline: p.guideline } : {}),
        };
      });
      const member = review.member!;
      const issuedAt = new Date();
      const now = issuedAt.toISOString();
      const orders = args.firstOrders
        ? exams
            .filter((x) => x.outcome === 'MET' && x.servicingProviderNpi)
            .map((x) => ({ examIndex: x.index, number: newOrderNumber(), issuedAt: now, expiresAt: new Date(issuedAt.getTime() + args.firstOrders!.validityMs).toISOString() }))
        : [];
      const attach = (issued: (IssuedOrder & { examIndex: number })[]) => {
        for (const { examIndex, ...order } of issued) {
          const x = exams.find((e) => e.index === examIndex);
          if (x) x.order = order;
        }
      };
      attach(orders);
      // The opened case as the workflow will build it from this answer (V4), for the mirror.
      const opened = () => {
        const view = structuredClone(args.mirror!.view);
        return { view, ...openView(view, exams, args.mirror!.openedAt) };
      };
      const mirrored = args.mirror ? opened() : undefined;
      const m = mirrored && mirrorColumns(mirrored.view, mirrored.events);
      const rows = exams.map((x) => {
        const e = m?.exams.find((r) => r.examIndex === x.index);
        return {
          examIndex: x.index,
          procedureCode: x.procedureCode,
          status: e?.status ?? 'PENDED',
          decisionCode: e?.decisionCode ?? null,
          requestedUnits: x.requestedUnits ?? null,
          approvedUnits: e?.approvedUnits ?? null,
          servicingNpi: x.servicingProviderNpi ?? null,
          guidelineId: x.guideline?.id ?? null,
          guidelineVersion: x.guideline?.version ?? null,
          outcome: x.outcome,
          decidedBy: e?.decidedBy ?? null,
          decidedAt: e?.decidedAt ?? null,
        };
      });
      const mirroredAt = args.mirror ? new Date(args.mirror.at).toISOString() : null;
      // The first letter, composed now, has its delivery row written by the same statement (to
      // the submitting user): its send then looks nothing up and writes nothing before it.
      const letterWorkflowId = mirrored?.letter && currentWorkflowId();
      const firstLetter = mirrored?.letter && {
        ...mirrored.letter,
        workflowId: letterWorkflowId!,
        messageId: messageIdOf(letterWorkflowId!, mirrored.letter.purpose),
        ...(await letterContent({ caseNumber: args.caseNumber, orderingNpi: review.orderingProvider!.npi, memberId: member.memberId }, mirrored.view, mirrored.letter)),
      };
      let recipient: string | null = null;
      let final = mirrored;
      try {
        // One statement (one round trip, atomic on its own): the case (V4: as opened, its events
        // too), its exams, its first order numbers, the draft submitted and the first letter's
        // delivery row (answering to whom it goes).
        const [r] = await prisma.$queryRaw<[{ recipient: string | null }]>`
          WITH opened AS (
            INSERT INTO "Case" ("id", "caseNumber", "workflowId", "draftId", "userId", "memberId", "planId", "state", "program", "urgency",
              "orderingNpi", "orderingTin", "status", "waitingOn", "submittedAt", "dueAt", "decidedAt", "request", "view", "mirrorVersion", "mirroredAt", "updatedAt")
            VALUES (${args.caseId}::uuid, ${args.caseNumber}, ${args.workflowId}, ${args.draftId}::uuid, ${args.userId}::uuid, ${member.memberId},
              ${member.healthPlan.id}, ${member.state}, ${exams[0]!.program}::"ClinicalProgram", ${args.request.urgency!}, ${review.orderingProvider!.npi},
              ${normalizeTin(review.orderingProvider!.tin)!}, ${m?.status ?? 'PENDED'}, ${mirrored?.view.waitingOn ?? 'NOBODY'},
              ${new Date(args.submittedAt).toISOString()}::timestamp(3), ${new Date(args.dueAt).toISOString()}::timestamp(3), ${m?.decidedAt ?? null}::timestamp(3),
              ${JSON.stringify(args.request)}::jsonb, ${mirrored ? JSON.stringify(mirrored.view) : '{}'}::jsonb, ${args.mirror?.version ?? 0}::int,
              ${mirroredAt}::timestamp(3), ${now}::timestamp(3))
            RETURNING "id", "userId"
          ),
          exams AS (
            INSERT INTO "CaseExam" ("caseId", "examIndex", "procedureCode", "status", "decisionCode", "requestedUnits", "approvedUnits", "servicingNpi",
              "guidelineId", "guidelineVersion", "outcome", "decidedBy", "decidedAt")
            SELECT opened."id", e."examIndex", e."procedureCode", e."status", e."decisionCode", e."requestedUnits", e."approvedUnits", e."servicingNpi",
              e."guidelineId", e."guidelineVersion", e."outcome", e."decidedBy", e."decidedAt"
            FROM opened, json_to_recordset(${JSON.stringify(rows)}::json)
              AS e("examIndex" int, "procedureCode" text, "status" text, "decisionCode" text, "requestedUnits" int, "approvedUnits" int, "servicingNpi" text,
                "guidelineId" text, "guidelineVersion" int, "outcome" text, "decidedBy" text, "decidedAt" timestamp(3))
          ),
          orders AS (
            INSERT INTO "OrderNumber" ("number", "caseId", "examIndex", "sequence", "status", "issuedAt", "expiresAt")
            SELECT o."number", opened."id", o."examIndex", 1, 'ACTIVE', o."issuedAt", o."expiresAt"
            FROM opened, json_to_recordset(${JSON.stringify(orders)}::json) AS o("examIndex" int, "number" text, "issuedAt" timestamp(3), "expiresAt" timestamp(3))
          ),
          events AS (
            INSERT INTO "CaseEvent" ("caseId", "seq", "at", "examIndex", "actor", "type", "summary")
            SELECT opened."id", e."seq", e."at", e."examIndex", e."actor", e."type", e."summary"
            FROM opened, json_to_recordset(${JSON.stringify(m?.events ?? [])}::json) AS e("seq" int, "at" timestamp(3), "examIndex" int, "actor" text, "type" text, "summary" text)
          ),
          submitted AS (
            UPDATE "Draft" SET "status" = 'SUBMITTED', "updatedAt" = ${now}::timestamp(3) WHERE "id" = ${args.draftId}::uuid
          ),
          delivery AS (
            INSERT INTO "EmailDelivery" ("id", "workflowId", "purpose", "recipient", "subject", "messageId", "attempts")
            SELECT ${randomUUID()}::uuid, ${firstLetter?.workflowId ?? ''}, ${firstLetter?.purpose ?? ''}, COALESCE(u."email", u."releasedEmail"), ${firstLetter?.subject ?? ''},
              ${firstLetter?.messageId ?? ''}, 1
            FROM opened JOIN "User" u ON u."id" = opened."userId"
            WHERE ${!!firstLetter}::boolean AND COALESCE(u."email", u."releasedEmail") IS NOT NULL
            ON CONFLICT DO NOTHING
            RETURNING "recipient"
          )
          SELECT (SELECT "recipient" FROM delivery) AS "recipient"`;
        recipient = r!.recipient;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // A retry after the write finds its case there already. Any other case holding the
        // number (or the draft) is a conflict no retry mends: the case must not go on without a row.
        if (!(await prisma.case.findUnique({ where: { id: args.caseId }, select: { id: true } }))) {
          // A random order number that another order already holds (60 bits: next to never) is
          // mended by the retry, which draws new ones.
          if (orders.length && (await prisma.orderNumber.count({ where: { number: { in: orders.map((o) => o.number) } } }))) {
            throw new Error(`Case ${args.caseNumber}: an order number drawn for it is taken; the retry draws another`);
          }
          throw ApplicationFailure.create({
            type: 'CaseConflict',
            nonRetryable: true,
            message: `Case ${args.caseNumber} cannot be written: another case already has its case number or its draft (${args.draftId})`,
          });
        }
        // Our own earlier write: its order numbers, not the ones drawn now, are the case's.
        if (orders.length) {
          for (const x of exams) delete x.order;
          const written = await prisma.orderNumber.findMany({ where: { caseId: args.caseId, sequence: 1 } });
          attach(written.map((o) => ({ examIndex: o.examIndex, number: o.number, issuedAt: o.issuedAt.toISOString(), expiresAt: o.expiresAt.toISOString() })));
        }
        // V4: the earlier write may be another workflow task's (one that never completed, its
        // stamps earlier than this one's): the mirror gets the view this workflow task builds.
        if (args.mirror) {
          final = opened();
          await writeMirror(final.view, final.events, args.mirror.at, args.mirror.version, false);
        }
      }
      if (!final?.letter) return { exams };
      const { view, letter } = final;
      const waitMs = args.mirror!.letterWaitMs;
      // Its row written above: send. Otherwise (a retry, whose first attempt may have sent it): once per purpose, as every letter.
      if (recipient && firstLetter) return { exams, letter: await deliverLetter(letter, { recorded: { to: recipient, subject: firstLetter.subject, text: firstLetter.text } }, waitMs) };
      return { exams, letter: await deliverLetter(letter, { compose: async () => letterEmail(await letterHead(args.caseId), view, letter) }, waitMs) };
    },

    /** Order number `sequence` of an exam: created once (unique per case, exam and sequence). */
    async issueOrderNumber(args: { caseId: string; examIndex: number; sequence: number; validityMs: number }) {
      const key = { caseId_examIndex_sequence: { caseId: args.caseId, examIndex: args.examIndex, sequence: args.sequence } };
      const data = () => {
        const issuedAt = new Date();
        return { number: newOrderNumber(), caseId: args.caseId, examIndex: args.examIndex, sequence: args.sequence, status: 'ACTIVE' as const, issuedAt, expiresAt: new Date(issuedAt.getTime() + args.validityMs) };
      };
      const answer = (row: { number: string; issuedAt: Date; expiresAt: Date }) => ({ number: row.number, issuedAt: row.issuedAt.toISOString(), expiresAt: row.expiresAt.toISOString() });
      // Insert first: a retry after the write meets the unique key and answers with the row it
      // wrote (a clash of the random number itself finds no row there: the retry draws another).
      // An exam's first order number (nearly every one) has nothing to supersede: one insert.
      try {
        const row =
          args.sequence === 1
            ? await prisma.orderNumber.create({ data: data() })
            : await prisma.$transaction(async (tx) => {
                const created = await tx.orderNumber.create({ data: data() });
                await tx.orderNumber.updateMany({
                  where: { caseId: args.caseId, examIndex: args.examIndex, sequence: { lt: args.sequence }, status: { in: ['ACTIVE', 'EXPIRED'] } },
                  data: { status: 'SUPERSEDED' },
                });
                return created;
              });
        return answer(row);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return answer(await prisma.orderNumber.findUniqueOrThrow({ where: key }));
      }
    },

    /** A servicing facility that performs the exam's modality and is in network for the member's plan. */
    async checkServicingProvider(args: { caseId: string; examIndex: number; npi: string }): Promise<{ ok: boolean; problem?: string; name?: string }> {
      const c = await prisma.case.findUniqueOrThrow({ where: { id: args.caseId } });
      const e = await prisma.caseExam.findUniqueOrThrow({ where: { caseId_examIndex: { caseId: args.caseId, examIndex: args.examIndex } } });
      const code = await prisma.code.findUnique({ where: { system_code: { system: 'CPT', code: e.procedureCode } } });
      const f = await prisma.provider.findUnique({ where: { npi: args.npi }, include: { networks: true } });
      if (!f || f.kind !== 'SERVICING_FACILITY') return { ok: false, problem: `NPI ${args.npi} is not a servicing facility in the provider directory` };
      if (code?.modality && !f.services.includes(code.modality)) {
        return { ok: false, problem: `${f.name} does not perform ${code.modality.replace('_', ' ').toLowerCase()} services` };
      }
      if (!f.networks.some((n) => n.planId === c.planId && n.inNetwork)) return { ok: false, problem: `${f.name} is not in network for the member's plan` };
      return { ok: true, name: f.name };
    },

    /**
     * Writes the workflow's view of the case to the mirror, with the new timeline events.
     * `at` (the workflow's time) and `version` (its count of mirror writes) order the writes: one
     * older than the stored one (an attempt a worker left running when it lost the workflow, a
     * retry that slept past a newer write) adds its events and changes nothing else, so an older
     * view never replaces a newer one. The time comes first so that a reset workflow, whose count
     * starts again from an earlier point, still writes.
     *
     * `letter` (caseWorkflowV3): then a first try of that letter, composed from this view, inside
     * the workflow task that decided it. It waits at most `waitMs` for the SMTP server and never
     * fails the write: a letter not sent (`letter.sent` false) is the workflow's to hand to the
     * retrying `sendCaseEmail`, which waits for this try if it is still sending and sends nothing
     * more if it got through.
     */
    async mirrorCase(args: {
      view: CaseView;
      events: CaseEvent[];
      at: number;
      version: number;
      letter?: LetterRequest & { waitMs: number };
    }): Promise<{ applied: boolean; letter?: { sent: boolean; kind: LetterKind } }> {
      const v = args.view;
      const r = await writeMirror(v, args.events, args.at, args.version, !!args.letter);
      const letter = args.letter;
      if (!letter) return { applied: r.applied };
      return { applied: r.applied, letter: await deliverLetter(letter, { compose: () => letterEmail(r.head!, v, letter) }, letter.waitMs) };
    },

    /**
     * Decision letters, information requests and cancellations, to the office that asked; sent once
     * each, composed from the case as the mirror holds it. Retried until sent (the step support sees
     * failing); caseWorkflowV3 and V4 call it for a letter whose first try (with the mirror write, or the opening) did not send it.
     */
    async sendCaseEmail(args: LetterRequest & { caseId: string }): Promise<{ sent: boolean; kind: LetterKind }> {
      return deliverLetter(args, {
        compose: async () => {
          // The case and the office user it goes to, in one query.
          const [c] = await prisma.$queryRaw<(LetterHead & { view: unknown })[]>`
            SELECT c."caseNumber", c."orderingNpi", c."memberId", c."view", u."email", u."releasedEmail"
            FROM "Case" c JOIN "User" u ON u."id" = c."userId" WHERE c."id" = ${args.caseId}::uuid`;
          if (!c) throw new Error(`Case ${args.caseId} (or its office user) has no row to write the letter from`);
          return letterEmail(c, c.view as CaseView, args);
        },
      });
    },
  };

  /**
   * Sends a case letter once per (workflow, purpose). With `waitMs`, a first try that must not hold
   * the workflow task it runs in: it answers `sent: false` rather than wait longer or fail.
   */
  async function deliverLetter(
    letter: LetterRequest,
    email: { compose: () => Promise<Omit<Email, 'purpose'>> } | { recorded: Omit<Email, 'purpose'> },
    waitMs?: number,
  ): Promise<{ sent: boolean; kind: LetterKind }> {
    const [compose, recorded] = 'recorded' in email ? [async () => email.recorded, email.recorded] : [email.compose, undefined];
    const receipt = await deliverOnce(deps, currentWorkflowId(), letter.purpose, compose, { waitMs, ...(recorded ? { recorded } : {}) }).catch((err: unknown) => {
      if (waitMs === undefined) throw err;
      log.warn('letter not sent on its first try: the retrying step takes it', { purpose: letter.purpose, error: String(err) });
      return undefined;
    });
    return { sent: !!receipt && !receipt.stillSending, kind: letter.kind };
  }

  /**
   * Writes a view of the case to the mirror, with its new timeline events (see mirrorCase); with
   * `withHead`, answers whom its letter goes to.
   */
  async function writeMirror(v: CaseView, newEvents: CaseEvent[], atMs: number, version: number, withHead: boolean): Promise<{ applied: boolean; head: LetterHead | null }> {
    const at = new Date(atMs).toISOString();
    const { status, decidedAt, closedAt, events, exams, orders } = mirrorColumns(v, newEvents);
    // One statement (one round trip, atomic on its own): the events whatever the order, then the
    // case, its exams and its orders only where this write is not older than the stored one.
    const [r] = await prisma.$queryRaw<[{ present: boolean; applied: boolean; head: LetterHead | null }]>`
      WITH present AS (SELECT "id" FROM "Case" WHERE "id" = ${v.caseId}::uuid),
      added AS (
        INSERT INTO "CaseEvent" ("caseId", "seq", "at", "examIndex", "actor", "type", "summary")
        SELECT ${v.caseId}::uuid, e."seq", e."at", e."examIndex", e."actor", e."type", e."summary"
        FROM json_to_recordset(${JSON.stringify(events)}::json) AS e("seq" int, "at" timestamp(3), "examIndex" int, "actor" text, "type" text, "summary" text)
        WHERE EXISTS (SELECT 1 FROM present)
        ON CONFLICT DO NOTHING
      ),
      written AS (
        UPDATE "Case" SET
          "mirroredAt" = ${at}::timestamp(3),
          "mirrorVersion" = ${version}::int,
          "status" = ${status},
          "waitingOn" = ${v.waitingOn},
          "warnedAt" = ${iso(v.warnedAt)}::timestamp(3),
          "breachedAt" = ${iso(v.breachedAt)}::timestamp(3),
          "decidedAt" = ${decidedAt}::timestamp(3),
          "closedAt" = ${closedAt}::timestamp(3),
          "view" = ${JSON.stringify(v)}::jsonb,
          "updatedAt" = ${new Date().toISOString()}::timestamp(3)
        WHERE "id" = ${v.caseId}::uuid
          AND ("mirroredAt" IS NULL OR "mirroredAt" < ${at}::timestamp(3) OR ("mirroredAt" = ${at}::timestamp(3) AND "mirrorVersion" <= ${version}::int))
        RETURNING "id"
      ),
      exams AS (
        UPDATE "CaseExam" AS x SET
          "status" = e."status", "decisionCode" = e."decisionCode", "procedureCode" = e."procedureCode", "approvedUnits" = e."approvedUnits",
          "servicingNpi" = e."servicingNpi", "decidedBy" = e."decidedBy", "decidedAt" = e."decidedAt"
        FROM json_to_recordset(${JSON.stringify(exams)}::json) AS e("examIndex" int, "status" text, "decisionCode" text, "procedureCode" text, "approvedUnits" int, "servicingNpi" text, "decidedBy" text, "decidedAt" timestamp(3))
        WHERE x."caseId" = ${v.caseId}::uuid AND x."examIndex" = e."examIndex" AND EXISTS (SELECT 1 FROM written)
      ),
      orders AS (
        UPDATE "OrderNumber" AS o SET "status" = e."status"
        FROM json_to_recordset(${JSON.stringify(orders)}::json) AS e("number" text, "status" text)
        WHERE o."number" = e."number" AND o."status" <> e."status" AND EXISTS (SELECT 1 FROM written)
      )
      SELECT EXISTS (SELECT 1 FROM present) AS "present", EXISTS (SELECT 1 FROM written) AS "applied",
        CASE WHEN ${withHead}::boolean THEN (
          SELECT json_build_object('caseNumber', c."caseNumber", 'orderingNpi', c."orderingNpi", 'memberId', c."memberId", 'email', u."email", 'releasedEmail', u."releasedEmail")
          FROM "Case" c JOIN "User" u ON u."id" = c."userId" WHERE c."id" = ${v.caseId}::uuid
        ) END AS "head"`;
    if (!r!.present) throw new Error(`Case ${v.caseId} has no row to mirror into`);
    if (!r!.applied) log.warn('mirror write older than the stored one: its events kept, the rest skipped', { caseId: v.caseId, at, version });
    return r!;
  }

  /** Whom a case's letters are for and go to. */
  async function letterHead(caseId: string): Promise<LetterHead> {
    const [c] = await prisma.$queryRaw<LetterHead[]>`
      SELECT c."caseNumber", c."orderingNpi", c."memberId", u."email", u."releasedEmail"
      FROM "Case" c JOIN "User" u ON u."id" = c."userId" WHERE c."id" = ${caseId}::uuid`;
    if (!c) throw new Error(`Case ${caseId} (or its office user) has no row to write the letter from`);
    return c;
  }

  /** A case letter about `view`, to the office user who submitted the case. */
  async function letterEmail(c: LetterHead, view: CaseView, args: LetterRequest): Promise<Omit<Email, 'purpose'>> {
    return { to: c.email ?? c.releasedEmail!, ...(await letterContent(c, view, args)) };
  }

  /** A case letter's subject and text. */
  async function letterContent(c: Pick<LetterHead, 'caseNumber' | 'orderingNpi' | 'memberId'>, view: CaseView, args: LetterRequest): Promise<{ subject: string; text: string }> {
    const physician = await providerByNpi(prisma, c.orderingNpi);
    const link = `${deps.publicBaseUrl}/api/cases/${c.caseNumber}`;
    const lines = (view.exams ?? [])
      .filter((e) => args.examIndexes.includes(e.index))
      .flatMap((e) => {
        const order = e.orders.find((o) => o.status === 'ACTIVE');
        return [
          `Exam ${e.index + 1}: ${e.procedureCode} ${e.procedureDescription}: ${EXAM_WORDS[e.status]} (decision ${e.decisionCode})`,
          ...e.decisionReasons.map((r) => `  Reason: ${r}`),
          ...(e.guidelineReference ? [`  Guideline: ${e.guidelineReference}`] : []),
          ...(e.approvedUnits !== undefined && e.requestedUnits !== undefined && e.status === 'APPROVED' ? [`  Units approved: ${e.approvedUnits} of ${e.requestedUnits}`] : []),
          ...(order ? [`  Order number: ${order.number}, valid until ${order.expiresAt.slice(0, 10)}. An order number does not guarantee payment.`] : []),
        ];
      });
    const subject = {
      decision: `Prior authorization decision for case ${c.caseNumber}`,
      info_request: `Information needed for case ${c.caseNumber}`,
      cancelled: `Case ${c.caseNumber} cancelled`,
      peer_to_peer: `Peer-to-peer review offered for case ${c.caseNumber}`,
    }[args.kind];
    const intro = {
      decision: 'The health plan has decided on the request below.',
      info_request: `A reviewer needs more information to decide:\n\n${args.message ?? ''}\n\nAdd it as Additional Information on the case. If it does not arrive in time, a physician reviews the case as it is.`,
      cancelled: `The request below was cancelled: ${args.message ?? ''}`,
      peer_to_peer: `A physician reviewer offers a peer-to-peer call with the ordering physician: ${args.message ?? ''}\n\nPropose at least two call windows on the case.`,
    }[args.kind];
    return {
      subject,
      text: [
        `For ${physician?.name ?? `NPI ${c.orderingNpi}`} (ordering provider), case ${c.caseNumber}, member ${c.memberId}`,
        '',
        intro,
        '',
        ...lines,
        '',
        `The case: ${link}`,
        'If you disagree with a denial, you may appeal; the letter above gives the reason and the guideline applied.',
      ].join('\n'),
    };
  }
}
