import type { OpenedExam } from '../activities/cases';
import type { CaseEvent, CaseView, ExamView } from './case';

/**
 * The case view's pure rules, shared by the workflow and the opening step: caseWorkflowV4's
 * opening step writes the opened case to the mirror itself, so it must build exactly the view the
 * workflow builds from the same answer. No Temporal imports: this runs in both places.
 */

/** Timeline wording, one place for the workflow and the opening step. */
export const summaries = {
  submitted: (examCount: number) => `Request submitted with ${examCount} exam(s)`,
  pended: (e: Pick<OpenedExam, 'procedureCode' | 'reasons'>) => `${e.procedureCode} pended for clinical review (A4): ${e.reasons.join(' ')}`,
  approvedAwaitingProvider: (e: Pick<ExamView, 'procedureCode'>, code: string) =>
    `${e.procedureCode} approved (${code}); choose the servicing provider to get the order number`,
  orderIssued: (e: Pick<ExamView, 'procedureCode'>, o: { number: string; expiresAt: string }) =>
    `Order number ${o.number} for ${e.procedureCode}, valid until ${o.expiresAt.slice(0, 10)}`,
};

/**
 * Status, stage and waiting-on from the exams (what every settle recomputes first); `at` stamps
 * the decision when the last pended exam was decided. Answers whether an exam still waits for review.
 */
export function deriveState(view: CaseView, at: () => string): boolean {
  const reviewing = view.exams.some((e) => e.status === 'PENDED');
  if (!reviewing && view.status === 'PENDED') {
    view.status = 'DECIDED';
    view.decidedAt ??= at();
    view.stage = 'DONE';
  }
  const final = view.exams.every((e) => e.status === 'DENIED' || e.status === 'CANCELLED' || e.status === 'EXPIRED');
  if (final) view.status = 'CLOSED';
  view.waitingOn = reviewing
    ? view.stage === 'NURSE'
      ? 'NURSE'
      : view.stage === 'PHYSICIAN'
        ? 'PHYSICIAN'
        : view.stage === 'PEER_TO_PEER_CALL'
          ? 'PEER_TO_PEER'
          : 'OFFICE'
    : view.exams.some((e) => e.status === 'APPROVED_AWAITING_PROVIDER')
      ? 'OFFICE'
      : 'NOBODY';
  return reviewing;
}

/**
 * The case as its opening leaves it (caseWorkflowV4), built on `view` (the workflow's view before
 * the opening: no exams, no events) in place: each exam the guideline approved is approved (A1),
 * with the order number the opening issued when its servicing provider is known; the others are
 * pended for review (A4). Every stamp is `at`. Answers the events added and the first letter,
 * when an exam was decided.
 */
export function openView(view: CaseView, exams: OpenedExam[], at: string): { events: CaseEvent[]; letter?: { purpose: string; kind: 'decision'; examIndexes: number[] } } {
  const events: CaseEvent[] = [];
  const event = (actor: string, type: string, summary: string, examIndex?: number) => {
    const e: CaseEvent = { seq: view.events.length + 1, at, actor, type, summary, ...(examIndex !== undefined ? { examIndex } : {}) };
    view.events.push(e);
    events.push(e);
  };
  event('office', 'submitted', summaries.submitted(exams.length));
  for (const { order, ...o } of exams) {
    const e: ExamView = { ...o, status: 'PENDED', decisionCode: 'A4', decisionReasons: o.reasons, orders: [] };
    view.exams.push(e);
    if (o.outcome !== 'MET') {
      event('guideline', 'pended', summaries.pended(o), e.index);
      continue;
    }
    e.decisionCode = 'A1';
    e.decisionReasons = o.reasons;
    e.decidedBy = 'guideline';
    e.decidedAt = at;
    if (!e.servicingProviderNpi) {
      e.status = 'APPROVED_AWAITING_PROVIDER';
      event('guideline', 'approved', summaries.approvedAwaitingProvider(e, 'A1'), e.index);
      continue;
    }
    if (!order) throw new Error(`Exam ${e.index + 1} was approved with its servicing provider known but the opening issued no order number`);
    e.status = 'APPROVED';
    e.orders.push({ number: order.number, sequence: 1, status: 'ACTIVE', issuedAt: order.issuedAt, expiresAt: order.expiresAt });
    event('guideline', 'order_issued', summaries.orderIssued(e, order), e.index);
  }
  deriveState(view, () => at);
  const decided = view.exams.filter((e) => e.status !== 'PENDED').map((e) => e.index);
  return { events, ...(decided.length ? { letter: { purpose: `decision-${view.events.length}`, kind: 'decision' as const, examIndexes: decided } } : {}) };
}
