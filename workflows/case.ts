import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import type { Activities } from '../activities';
import type { IssuedOrder, LetterKind, LetterRequest, OpenedExam } from '../activities/cases';
import { stampTime } from './requestTime';
import { deriveState, openView, summaries } from './caseView';
import type { DraftContent } from '../domain/draft';
import { searchAttributes } from '../common/searchAttributes';

/**
 * One prior-authorization case from submission until every exam is final: the first
 * determination of each exam (guideline MET -> approved; otherwise pended for review), review
 * by nurses and physicians (with information requests and peer-to-peer), decision letters,
 * order numbers with their validity timers, extensions, provider changes and cancellation.
 * Every human step is an update whose validator checks role and state.
 */
export interface CasePolicy {
  /** From submission to the decision: 72 h expedited, 7 days standard (per plan). */
  decisionTime: Duration;
  /** Fraction of the decision time at which the supervisor queue is warned (0.8). */
  warnFraction: number;
  /** How long an information request waits for the office before a physician takes over. */
  infoRequestTimeout: Duration;
  /** How long an order number is valid (the plan's, 60 days by default). */
  orderValidity: Duration;
  /** How long after expiry an extension is still granted. */
  extensionGrace: Duration;
}

export interface CaseInput {
  caseId: string;
  caseNumber: string;
  draftId: string;
  userId: string;
  request: DraftContent;
  policy: CasePolicy;
  /**
   * The status and waiting-on the start already showed in the search attributes (caseWorkflowV3):
   * the API sets them when it expects the guideline to approve every exam, and the first task
   * writes them only when the opening decided otherwise (an upsert is an event and a visibility
   * write per case). Unset: the first task shows the state.
   */
  shown?: { status: string; waitingOn: string };
}

export type ExamStatus = 'PENDED' | 'APPROVED_AWAITING_PROVIDER' | 'APPROVED' | 'DENIED' | 'CANCELLED' | 'EXPIRED';
export type DecisionCode = 'A1' | 'A3' | 'A4' | 'A6' | 'C';
export type Stage = 'NURSE' | 'PHYSICIAN' | 'OFFICE_INFO' | 'PEER_TO_PEER_WINDOWS' | 'PEER_TO_PEER_CALL' | 'DONE';
export type WaitingOn = 'OFFICE' | 'NURSE' | 'PHYSICIAN' | 'PEER_TO_PEER' | 'NOBODY';
export type StaffRole = 'NURSE' | 'PHYSICIAN' | 'SUPERVISOR';

export interface OrderView {
  number: string;
  sequence: number;
  status: 'ACTIVE' | 'EXPIRED' | 'SUPERSEDED' | 'CANCELLED';
  issuedAt: string;
  expiresAt: string;
}

export interface ExamView extends OpenedExam {
  status: ExamStatus;
  decisionCode: DecisionCode;
  decisionReasons: string[];
  decidedBy?: string;
  decidedAt?: string;
  /** The guideline reference a denial cites. */
  guidelineReference?: string;
  orders: OrderView[];
}

export interface CaseEvent {
  seq: number;
  at: string;
  examIndex?: number;
  actor: string;
  type: string;
  summary: string;
}

export interface CaseView {
  caseId: string;
  caseNumber: string;
  status: 'PENDED' | 'DECIDED' | 'CLOSED';
  stage: Stage;
  waitingOn: WaitingOn;
  submittedAt: string;
  dueAt: string;
  warnedAt?: string;
  breachedAt?: string;
  decidedAt?: string;
  exams: ExamView[];
  additionalInformation: { at: string; text: string }[];
  infoRequest?: { message: string; requestedAt: string; dueAt: string; answeredAt?: string; timedOutAt?: string };
  peerToPeer?: { offeredAt: string; windows?: { start: string; end: string }[]; outcome?: 'OVERTURNED' | 'UPHELD' | 'NOT_REACHED' };
  events: CaseEvent[];
}

export interface Actor {
  name: string;
  role: StaffRole | 'OFFICE' | 'SUPPORT';
}

export type NurseDecision =
  | { action: 'APPROVE'; exams: number[]; note?: string }
  | { action: 'REQUEST_INFO'; message: string }
  | { action: 'ESCALATE'; note: string };

export type PhysicianDecision =
  | { action: 'APPROVE'; exams: number[]; note?: string }
  | { action: 'MODIFY'; exam: number; approvedUnits?: number; procedureCode?: string; procedureDescription?: string; reason: string }
  | { action: 'DENY'; exam: number; reason: string; guidelineReference: string }
  | { action: 'OFFER_PEER_TO_PEER'; message: string };

export type PeerToPeerOutcome =
  | { outcome: 'OVERTURNED'; exams: number[]; note: string }
  | { outcome: 'UPHELD'; exam: number; reason: string; guidelineReference: string }
  | { outcome: 'NOT_REACHED'; note: string };

export const caseStatusQuery = defineQuery<CaseView>('caseStatus');
export const submitCaseUpdate = defineUpdate<CaseView>('submitCase');
export const addInformationUpdate = defineUpdate<CaseView, [text: string]>('addInformation');
export const nurseDecisionUpdate = defineUpdate<CaseView, [Actor, NurseDecision]>('nurseDecision');
export const physicianDecisionUpdate = defineUpdate<CaseView, [Actor, PhysicianDecision]>('physicianDecision');
export const proposeCallWindowsUpdate = defineUpdate<CaseView, [windows: { start: string; end: string }[]]>('proposeCallWindows');
export const peerToPeerOutcomeUpdate = defineUpdate<CaseView, [Actor, PeerToPeerOutcome]>('peerToPeerOutcome');
export const chooseProviderUpdate = defineUpdate<CaseView, [examIndex: number, npi: string]>('chooseServicingProvider');
export const extendOrderUpdate = defineUpdate<CaseView, [examIndex: number]>('extendOrder');
/** The office cancels (no actor), or support does for it (`by`, a SUPPORT actor). */
export const cancelUpdate = defineUpdate<CaseView, [reason: string, exams?: number[], by?: Actor]>('cancel');
/** Support: send a letter again (`purpose` as the email was sent, e.g. decision-4), composed from the case as it is. */
export const resendLetterUpdate = defineUpdate<CaseView, [purpose: string, by: Actor]>('resendLetter');
/** Support: write the whole case to the database mirror again from this workflow. */
export const resyncMirrorUpdate = defineUpdate<CaseView, [by: Actor]>('resyncMirror');

const LETTER_WORDS: Record<LetterKind, string> = {
  decision: 'decision letter',
  info_request: 'information request',
  cancelled: 'cancellation letter',
  peer_to_peer: 'peer-to-peer offer',
};

export const ADDITIONAL_INFO_LIMIT = 2000;
export const MIN_DENIAL_REASON = 20;

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '25s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// A servicing-provider check is a business answer: a refusal is not retried.
const checks = proxyActivities<Activities>({ startToCloseTimeout: '25s', retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['ProviderRefused'] } });
// The same steps as local activities: run by the worker inside the workflow task, without a
// round trip through the server for each (the office waits for them at submission).
const localSteps = proxyLocalActivities<Activities>({ startToCloseTimeout: '25s', retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 } });
const localChecks = proxyLocalActivities<Activities>({ startToCloseTimeout: '25s', retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['ProviderRefused'] } });
/**
 * How long a letter's first try (caseWorkflowV3: with the mirror write, inside the workflow task
 * that decided it) waits for the mail server. The answer waits for it (a pooled SMTP send takes
 * milliseconds); a letter not sent by then goes to the retrying activity, which nobody waits for.
 */
const LETTER_WAIT_MS = 2_000;

const refuse = (message: string): never => {
  throw new Error(message);
};

/**
 * The case workflow as first released, with its patches: cases started before caseWorkflowV2
 * (up to 60 days of order timers and more) replay and run on here. New cases are not started
 * as this type.
 */
export async function caseWorkflow(input: CaseInput): Promise<CaseView> {
  return runCase(input, 1);
}

/**
 * The case workflow for new cases: the released one without its patches, which are all in
 * effect here (local activity steps, the office answered first), and without the RecordType
 * upsert (the API sets it when it starts the workflow). Its first workflow task records five
 * events fewer (two patch markers, the TemporalChangeVersion search attribute each of them
 * sets, and RecordType), and the server writes three fewer visibility updates per case.
 * A new workflow type rather than another patch: a patch would itself add a marker.
 */
export async function caseWorkflowV2(input: CaseInput): Promise<CaseView> {
  return runCase(input, 2);
}

/**
 * The case workflow for new cases: an auto-approved case is one workflow task. The opening issues
 * the first order numbers in its own statement (no step of their own), and a letter is tried once
 * with the mirror write before it, inside the task that decided it and before the answer (no
 * activity and no second task when the mail server takes it; one not sent is handed to the
 * retrying activity, which neither the answer nor the case's next step waits for). Two local
 * activities and ten events an auto-approval, against four steps and seventeen events.
 */
export async function caseWorkflowV3(input: CaseInput): Promise<CaseView> {
  return runCase(input, 3);
}

/**
 * The case workflow for new cases: caseWorkflowV3 whose opening step also writes the opened case
 * to the mirror and tries its first letter (the view built by workflows/caseView.ts, the same
 * code on both sides). An auto-approval is one local activity and eight events; a pended case
 * opens with one step instead of two.
 */
export async function caseWorkflowV4(input: CaseInput): Promise<CaseView> {
  return runCase(input, 4);
}

/** Which release a run follows: 1 caseWorkflow (with its patches), 2 caseWorkflowV2, 3 caseWorkflowV3, 4 caseWorkflowV4. */
type Generation = 1 | 2 | 3 | 4;

async function runCase(input: CaseInput, generation: Generation): Promise<CaseView> {
  const { caseId, policy } = input;
  const current = generation >= 2;
  const oneTask = generation >= 3;
  const opensMirrored = generation >= 4;
  // Opening, order numbers, mirror writes and provider checks are local activities since this
  // patch; histories recorded before it replay with the activities they scheduled.
  const local = current || patched('local-activity-steps');
  // Whether the office is answered before the first letter, decided here, before the first local
  // activity: a patch asked for right after a local activity does not replay when a workflow task
  // ended between the two (core completes one while a step runs long; seen under load). Histories
  // recorded with the later call still answer to it below.
  const answerFirst = current || patched('answer-first-decided-at-start');
  const steps = local ? localSteps : acts;
  const stepChecks = local ? localChecks : checks;
  const submittedAt = Date.now();
  const dueAtMs = submittedAt + msToNumber(policy.decisionTime);
  const warnAtMs = submittedAt + msToNumber(policy.decisionTime) * policy.warnFraction;
  const view: CaseView = {
    caseId,
    caseNumber: input.caseNumber,
    status: 'PENDED',
    stage: 'NURSE',
    waitingOn: 'NOBODY',
    submittedAt: new Date(submittedAt).toISOString(),
    dueAt: new Date(dueAtMs).toISOString(),
    exams: [],
    additionalInformation: [],
    events: [],
  };
  let opened = false;
  let changes = 0; // handlers bump it so that the main loop re-plans its timers
  let mirrorWrites = 0; // numbers each mirror write (with the workflow's time), so the database keeps the newest view
  // Status and waiting-on last shown in the search attributes (by the start, or by this workflow).
  let shownState: string | undefined = oneTask && input.shown ? `${input.shown.status}/${input.shown.waitingOn}` : undefined;
  let mirrored: string | undefined; // the view as V3 last wrote it to the mirror
  const pendingEvents: CaseEvent[] = [];
  const lettersSending: Promise<unknown>[] = []; // letters handed to the retrying activity (V3), awaited before the end

  // A stamp in an update handler is the time the update was asked for (recorded with it, see
  // requestTime.ts), never before the case's latest event, so the timeline reads in order.
  const now = () => new Date(Math.max(stampTime(), Date.parse(view.events[view.events.length - 1]?.at ?? view.submittedAt))).toISOString();
  const event = (actor: string, type: string, summary: string, examIndex?: number) => {
    const e: CaseEvent = { seq: view.events.length + 1, at: now(), actor, type, summary, ...(examIndex !== undefined ? { examIndex } : {}) };
    view.events.push(e);
    pendingEvents.push(e);
    return e;
  };
  const exam = (i: number) => view.exams[i] ?? refuse(`This case has no exam ${i + 1}`);
  const pended = () => view.exams.filter((e) => e.status === 'PENDED');
  const activeOrder = (e: ExamView) => e.orders.find((o) => o.status === 'ACTIVE');

  /**
   * Recomputes status, stage and waiting-on, then mirrors the case (with its new events); with a
   * letter (V3), the same step tries the letter, and one it did not send goes to the retrying activity.
   */
  const settle = async (letter?: LetterRequest) => {
    const reviewing = deriveState(view, now);
    const status = reviewing ? `PENDED_${view.stage}` : view.status;
    const state = `${status}/${view.waitingOn}`;
    // V3 shows a state once: the same values again would cost an event and a visibility write.
    if (!oneTask || state !== shownState) {
      upsertSearchAttributes([
        { key: searchAttributes.RecordStatus, value: status },
        { key: searchAttributes.WaitingOn, value: view.waitingOn },
        { key: searchAttributes.DueAt, value: reviewing ? new Date(dueAtMs) : null },
        ...(state !== shownState ? [{ key: searchAttributes.StatusSince, value: new Date() }] : []),
      ]);
    }
    shownState = state;
    const events = pendingEvents.splice(0);
    // V3 writes the mirror only when the view changed since its last write (a decision's letter
    // step wrote it just before the decision's own settle).
    const snapshot = oneTask ? JSON.stringify(view) : undefined;
    if (oneTask && !letter && !events.length && snapshot === mirrored) {
      changes++;
      return;
    }
    mirrored = snapshot;
    const written = await steps.mirrorCase({ view, events, at: Date.now(), version: ++mirrorWrites, ...(letter ? { letter: { ...letter, waitMs: LETTER_WAIT_MS } } : {}) });
    changes++;
    if (letter && !written.letter?.sent) retryLetter(letter);
  };
  /** A letter its first try did not send, to the retrying activity (V3), which nothing waits for. */
  const retryLetter = (letter: LetterRequest) => {
    const retrying = acts.sendCaseEmail({ caseId, ...letter });
    retrying.catch(() => undefined); // failed for good: the workflow fails at its end, where it awaits it
    lettersSending.push(retrying);
  };

  /** Approves an exam: an order number at once if the servicing provider is known (`issued`: the opening issued it). */
  const approve = async (e: ExamView, code: 'A1' | 'A6', by: string, reasons: string[], issued?: IssuedOrder) => {
    e.decisionCode = code;
    e.decisionReasons = reasons;
    e.decidedBy = by;
    e.decidedAt = now();
    if (e.servicingProviderNpi) {
      e.status = 'APPROVED';
      await issueOrder(e, by, issued);
    } else {
      e.status = 'APPROVED_AWAITING_PROVIDER';
      event(by, 'approved', summaries.approvedAwaitingProvider(e, code), e.index);
    }
  };
  const issueOrder = async (e: ExamView, by: string, issued?: IssuedOrder) => {
    const sequence = e.orders.length + 1;
    const o = issued ?? (await steps.issueOrderNumber({ caseId, examIndex: e.index, sequence, validityMs: msToNumber(policy.orderValidity) }));
    e.orders.push({ number: o.number, sequence, status: 'ACTIVE', issuedAt: o.issuedAt, expiresAt: o.expiresAt });
    event(by, 'order_issued', summaries.orderIssued(e, o), e.index);
  };
  const deny = (e: ExamView, by: string, reason: string, guidelineReference: string) => {
    e.status = 'DENIED';
    e.decisionCode = 'A3';
    e.decisionReasons = [reason];
    e.guidelineReference = guidelineReference;
    e.decidedBy = by;
    e.decidedAt = now();
    event(by, 'denied', `${e.procedureCode} denied (A3): ${reason}`, e.index);
  };
  /** Mirrors the case, then sends the letter composed from it (V3: one step, see settle). */
  const letter = (kind: LetterKind, examIndexes: number[], message?: string) => sendLetter({ purpose: `${kind}-${view.events.length}`, kind, examIndexes, message });
  const sendLetter = async (request: LetterRequest) => {
    if (oneTask) return settle(request);
    // As released (V1, V2): the retrying activity, awaited.
    await settle();
    await acts.sendCaseEmail({ caseId, ...request });
  };

  const requireRole = (actor: Actor, ...roles: (StaffRole | 'SUPPORT')[]) => {
    if (!roles.includes(actor?.role as StaffRole)) refuse(`Only ${roles.map((r) => (r === 'SUPPORT' ? 'support staff' : `a ${r.toLowerCase()}`)).join(' or ')} may do this`);
  };
  const requireStage = (...stages: Stage[]) => {
    if (!opened) refuse('The case is still being opened: try again in a moment');
    if (!pended().length) refuse('This case has no exam waiting for review');
    if (!stages.includes(view.stage)) refuse(`The case is not at this step: it is waiting on ${view.waitingOn.toLowerCase().replace(/_/g, ' ')}`);
  };
  const requirePended = (indexes: number[]) => {
    if (!indexes.length) refuse('Name the exams');
    for (const i of indexes) if (exam(i).status !== 'PENDED') refuse(`Exam ${i + 1} is not waiting for review (it is ${exam(i).status.toLowerCase()})`);
  };
  const requireReason = (reason: string | undefined, what: string) => {
    if ((reason ?? '').trim().length < MIN_DENIAL_REASON) {
      refuse(`${what} needs a specific reason in plain language (at least ${MIN_DENIAL_REASON} characters) that the office will read`);
    }
  };

  setHandler(caseStatusQuery, () => view);

  setHandler(submitCaseUpdate, async () => {
    await condition(() => opened);
    return view;
  });

  setHandler(
    addInformationUpdate,
    async (text) => {
      view.additionalInformation.push({ at: now(), text });
      event('office', 'information_added', `Additional Information added (${[...text].length} characters)`);
      if (view.stage === 'OFFICE_INFO' && view.infoRequest) {
        view.infoRequest.answeredAt = now();
        view.stage = 'NURSE';
      }
      await settle();
      return view;
    },
    {
      validator: (text) => {
        if (!pended().length) refuse('Additional Information can be added only while the case waits for review');
        const length = [...(text ?? '')].length;
        if (!text?.trim()) refuse('Additional Information is empty');
        if (length > ADDITIONAL_INFO_LIMIT) refuse(`Additional Information is limited to ${ADDITIONAL_INFO_LIMIT} characters; this has ${length}`);
      },
    },
  );

  setHandler(
    nurseDecisionUpdate,
    async (actor, d) => {
      if (d.action === 'APPROVE') {
        for (const i of d.exams) await approve(exam(i), 'A1', actor.name, [d.note?.trim() || 'Approved on nurse review']);
        await letter('decision', d.exams);
      } else if (d.action === 'REQUEST_INFO') {
        const requestedAt = now();
        const dueAt = new Date(Date.parse(requestedAt) + msToNumber(policy.infoRequestTimeout)).toISOString();
        view.infoRequest = { message: d.message, requestedAt, dueAt };
        view.stage = 'OFFICE_INFO';
        event(actor.name, 'information_requested', `Information requested from the office: ${d.message}`);
        await letter('info_request', pended().map((e) => e.index), d.message);
      } else {
        view.stage = 'PHYSICIAN';
        event(actor.name, 'escalated', `Escalated to a physician: ${d.note}`);
      }
      await settle();
      return view;
    },
    {
      validator: (actor, d) => {
        requireRole(actor, 'NURSE');
        requireStage('NURSE');
        if (d.action === 'APPROVE') requirePended(d.exams);
        else if (d.action === 'REQUEST_INFO' && !d.message?.trim()) refuse('Say what information the office should send');
        else if (d.action === 'ESCALATE' && !d.note?.trim()) refuse('Say why the case goes to a physician');
        else if (!['APPROVE', 'REQUEST_INFO', 'ESCALATE'].includes(d.action)) refuse('A nurse approves, asks for information or escalates; only a physician denies');
      },
    },
  );

  setHandler(
    physicianDecisionUpdate,
    async (actor, d) => {
      if (d.action === 'APPROVE') {
        for (const i of d.exams) await approve(exam(i), 'A1', actor.name, [d.note?.trim() || 'Approved on physician review']);
        await letter('decision', d.exams);
      } else if (d.action === 'MODIFY') {
        const e = exam(d.exam);
        const changes: string[] = [];
        if (d.approvedUnits !== undefined) {
          changes.push(`${d.approvedUnits} of ${e.requestedUnits} units`);
          e.approvedUnits = d.approvedUnits;
        }
        if (d.procedureCode) {
          changes.push(`${d.procedureCode} instead of ${e.procedureCode}`);
          e.procedureCode = d.procedureCode;
          e.procedureDescription = d.procedureDescription ?? e.procedureDescription;
        }
        event(actor.name, 'modified', `${e.procedureCode} approved with changes (A6): ${changes.join('; ')}`, e.index);
        await approve(e, 'A6', actor.name, [d.reason.trim()]);
        await letter('decision', [d.exam]);
      } else if (d.action === 'DENY') {
        deny(exam(d.exam), actor.name, d.reason.trim(), d.guidelineReference.trim());
        await letter('decision', [d.exam]);
      } else {
        view.stage = 'PEER_TO_PEER_WINDOWS';
        view.peerToPeer = { offeredAt: now() };
        event(actor.name, 'peer_to_peer_offered', `Peer-to-peer offered: ${d.message}`);
        await letter('peer_to_peer', pended().map((e) => e.index), d.message);
      }
      await settle();
      return view;
    },
    {
      validator: (actor, d) => {
        requireRole(actor, 'PHYSICIAN');
        requireStage('PHYSICIAN');
        if (d.action === 'APPROVE') requirePended(d.exams);
        else if (d.action === 'MODIFY') {
          requirePended([d.exam]);
          requireReason(d.reason, 'A modification');
          const e = exam(d.exam);
          if (d.approvedUnits === undefined && !d.procedureCode) refuse('A modification changes the units or the procedure code');
          if (d.approvedUnits !== undefined && (e.requestedUnits === undefined || d.approvedUnits < 1 || d.approvedUnits >= e.requestedUnits)) {
            refuse('Modified units must be at least 1 and fewer than the units requested');
          }
        } else if (d.action === 'DENY') {
          requirePended([d.exam]);
          requireReason(d.reason, 'A denial');
          if (!d.guidelineReference?.trim()) refuse('A denial cites the guideline it applies (id and version, or the policy section)');
        } else if (d.action === 'OFFER_PEER_TO_PEER') {
          if (view.peerToPeer) refuse('Peer-to-peer was already offered on this case');
          if (!d.message?.trim()) refuse('Say what the peer-to-peer call is about');
        } else refuse('Unknown decision');
      },
    },
  );

  setHandler(
    proposeCallWindowsUpdate,
    async (windows) => {
      view.peerToPeer!.windows = windows;
      view.stage = 'PEER_TO_PEER_CALL';
      event('office', 'call_windows_proposed', `The office proposed ${windows.length} call windows for peer-to-peer`);
      await settle();
      return view;
    },
    {
      validator: (windows) => {
        requireStage('PEER_TO_PEER_WINDOWS');
        if (!Array.isArray(windows) || windows.length < 2) refuse('Propose at least two call windows');
        for (const w of windows) {
          if (!(Date.parse(w.start) < Date.parse(w.end))) refuse('Each call window needs a start before its end');
        }
      },
    },
  );

  setHandler(
    peerToPeerOutcomeUpdate,
    async (actor, o) => {
      view.peerToPeer!.outcome = o.outcome;
      if (o.outcome === 'OVERTURNED') {
        event(actor.name, 'peer_to_peer', `Peer-to-peer held: the physician approved after the call (${o.note})`);
        for (const i of o.exams) await approve(exam(i), 'A1', actor.name, [`Approved after peer-to-peer: ${o.note}`]);
        await letter('decision', o.exams);
        view.stage = 'PHYSICIAN';
      } else if (o.outcome === 'UPHELD') {
        event(actor.name, 'peer_to_peer', 'Peer-to-peer held: the physician upheld the determination');
        deny(exam(o.exam), actor.name, o.reason.trim(), o.guidelineReference.trim());
        await letter('decision', [o.exam]);
        view.stage = 'PHYSICIAN';
      } else {
        // Not reached in the offered windows: the step counts as done; the physician decides.
        event(actor.name, 'peer_to_peer', `Peer-to-peer not reached in the offered windows; the step is closed (${o.note})`);
        view.stage = 'PHYSICIAN';
      }
      await settle();
      return view;
    },
    {
      validator: (actor, o) => {
        requireRole(actor, 'PHYSICIAN');
        requireStage('PEER_TO_PEER_CALL');
        if (o.outcome === 'OVERTURNED') requirePended(o.exams);
        else if (o.outcome === 'UPHELD') {
          requirePended([o.exam]);
          requireReason(o.reason, 'An upheld denial');
          if (!o.guidelineReference?.trim()) refuse('A denial cites the guideline it applies');
        } else if (o.outcome !== 'NOT_REACHED') refuse('The outcome is OVERTURNED, UPHELD or NOT_REACHED');
      },
    },
  );

  setHandler(
    chooseProviderUpdate,
    async (i: number, npi: string) => {
      const e = exam(i);
      const checked = await stepChecks.checkServicingProvider({ caseId, examIndex: i, npi });
      if (!checked.ok) throw ApplicationFailure.create({ type: 'ProviderRefused', message: checked.problem!, nonRetryable: true });
      const previous = e.servicingProviderNpi;
      e.servicingProviderNpi = npi;
      e.servicingProviderName = checked.name;
      if (e.status === 'APPROVED_AWAITING_PROVIDER') {
        e.status = 'APPROVED';
        event('office', 'provider_chosen', `Servicing provider chosen: ${checked.name}`, i);
        await issueOrder(e, 'office');
        await letter('decision', [i]);
      } else {
        event('office', 'provider_changed', `Servicing provider changed from NPI ${previous} to ${checked.name}`, i);
      }
      await settle();
      return view;
    },
    {
      validator: (i: number, _npi: string) => {
        const e = exam(i);
        if (e.status !== 'APPROVED_AWAITING_PROVIDER' && !(e.status === 'APPROVED' && activeOrder(e))) {
          refuse(`The servicing provider can be chosen or changed only for an approved exam with an active order (exam ${i + 1} is ${e.status.toLowerCase()})`);
        }
      },
    },
  );

  setHandler(
    extendOrderUpdate,
    async (i) => {
      const e = exam(i);
      const old = e.orders[e.orders.length - 1]!;
      old.status = 'SUPERSEDED';
      e.status = 'APPROVED';
      event('office', 'extension', `Order number ${old.number} extended: it is superseded`, i);
      await issueOrder(e, 'office');
      await letter('decision', [i]);
      await settle();
      return view;
    },
    {
      validator: (i) => {
        const e = exam(i);
        const last = e.orders[e.orders.length - 1];
        const graceEnds = last ? Date.parse(last.expiresAt) + msToNumber(policy.extensionGrace) : 0;
        if (!last || !(last.status === 'ACTIVE' || (last.status === 'EXPIRED' && Date.now() < graceEnds))) {
          refuse(`Exam ${i + 1} has no order that can be extended (an extension is possible before expiry or shortly after)`);
        }
      },
    },
  );

  setHandler(
    cancelUpdate,
    async (reason: string, exams?: number[], by?: Actor) => {
      const targets = (exams?.length ? exams : view.exams.map((e) => e.index)).map(exam).filter(cancellable);
      const who = by?.name ?? 'office';
      for (const e of targets) {
        e.status = 'CANCELLED';
        e.decisionCode = 'C';
        e.decisionReasons = [reason];
        e.decidedAt = now();
        e.decidedBy = who;
        const o = activeOrder(e);
        if (o) o.status = 'CANCELLED';
        event(who, 'cancelled', `${e.procedureCode} cancelled (C)${by ? ' by support' : ''}: ${reason}`, e.index);
      }
      await letter('cancelled', targets.map((e) => e.index), reason);
      await settle();
      return view;
    },
    {
      validator: (reason: string, exams?: number[], by?: Actor) => {
        if (by) requireRole(by, 'SUPPORT');
        if (!reason?.trim()) refuse('Say why the request is cancelled');
        const targets = (exams?.length ? exams : view.exams.map((e) => e.index)).map(exam);
        if (!targets.some(cancellable)) refuse('Nothing to cancel: only exams waiting for review or with an active order can be cancelled');
      },
    },
  );

  setHandler(
    resendLetterUpdate,
    async (purpose: string, by: Actor) => {
      const kind = purpose.split('-')[0] as LetterKind;
      event(by.name, 'letter_resent', `The ${LETTER_WORDS[kind]} was sent again`);
      const message =
        kind === 'info_request' ? view.infoRequest?.message : kind === 'cancelled' ? view.exams.find((e) => e.status === 'CANCELLED')?.decisionReasons[0] : undefined;
      await sendLetter({ purpose: `${purpose}-resend-${view.events.length}`, kind, examIndexes: view.exams.map((e) => e.index), message });
      return view;
    },
    {
      validator: (purpose: string, by: Actor) => {
        requireRole(by, 'SUPPORT');
        if (!/^(decision|info_request|cancelled|peer_to_peer)-\d+$/.test(purpose ?? '')) refuse(`${purpose} is not a letter of this case: name one as the case's emails list it (decision-4)`);
      },
    },
  );

  setHandler(
    resyncMirrorUpdate,
    async () => {
      // Every event again: the mirror keeps the ones it has and regains the ones it lost.
      pendingEvents.splice(0);
      await steps.mirrorCase({ view, events: view.events, at: Date.now(), version: ++mirrorWrites });
      return view;
    },
    { validator: (by: Actor) => requireRole(by, 'SUPPORT') },
  );

  function cancellable(e: ExamView): boolean {
    return e.status === 'PENDED' || e.status === 'APPROVED_AWAITING_PROVIDER' || (e.status === 'APPROVED' && !!activeOrder(e));
  }

  // 1. Open: evaluate every exam against its guideline, persist, first determination.
  if (!current) upsertSearchAttributes([{ key: searchAttributes.RecordType, value: 'CASE' }]);
  const { shown: _shown, ...opening } = input;
  // V4: the opening step mirrors the case as opened, stamped now, and tries its first letter.
  const openedAt = now();
  const start = await steps
    .openCase({
      ...opening,
      workflowId: workflowInfo().workflowId,
      submittedAt: view.submittedAt,
      dueAt: view.dueAt,
      ...(oneTask ? { firstOrders: { validityMs: msToNumber(policy.orderValidity) } } : {}),
      ...(opensMirrored ? { mirror: { view, openedAt, at: Date.now(), version: ++mirrorWrites, letterWaitMs: LETTER_WAIT_MS } } : {}),
    })
    .catch((err: unknown) => {
      // Not opened (the request no longer passes its checks): the state the start showed is not the case's.
      if (shownState) {
        upsertSearchAttributes([
          { key: searchAttributes.RecordStatus, value: null },
          { key: searchAttributes.WaitingOn, value: null },
          { key: searchAttributes.StatusSince, value: null },
        ]);
      }
      throw err;
    });
  if (opensMirrored) {
    const { letter: first } = openView(view, start.exams, openedAt);
    mirrored = JSON.stringify(view);
    if (first && !start.letter?.sent) retryLetter(first);
    await settle(); // the search attributes, where the opening found otherwise than the start showed
    opened = true;
  } else {
    await openAsReleased(start);
  }
  /** The opening of V1 to V3: the workflow builds the opened case, then its settle mirrors it. */
  async function openAsReleased(start: { exams: OpenedExam[] }) {
    event('office', 'submitted', summaries.submitted(start.exams.length));
    for (const { order, ...o } of start.exams) {
      const e: ExamView = { ...o, status: 'PENDED', decisionCode: 'A4', decisionReasons: o.reasons, orders: [] };
      view.exams.push(e);
      if (o.outcome === 'MET') await approve(e, 'A1', 'guideline', o.reasons, order);
      else event('guideline', 'pended', summaries.pended(o), e.index);
    }
    const decided = view.exams.filter((e) => e.status !== 'PENDED').map((e) => e.index);
    if (answerFirst || patched('answer-before-first-letter')) {
      // Answer the submission once the mirror shows the case (lists and queues have it), before the
      // letter: a slow or failing mail server must not hold the office's immediate determination
      // (V3 tries the letter with the mirror write, so the answer waits at most LETTER_WAIT_MS).
      const first = decided.length ? { purpose: `decision-${view.events.length}`, kind: 'decision' as const, examIndexes: decided } : undefined;
      await settle(oneTask ? first : undefined);
      opened = true;
      if (first && !oneTask) await acts.sendCaseEmail({ caseId, ...first });
    } else {
      // As released first: the letter, then the answer (histories recorded before the patch).
      if (decided.length) await letter('decision', decided);
      await settle();
      opened = true;
    }
  }

  // 2. Until every exam is final: timers for the decision timeframe, information requests and orders.
  for (;;) {
    const at = Date.now();
    const deadlines: number[] = [];
    const reviewing = pended().length > 0;
    if (reviewing && !view.warnedAt) deadlines.push(warnAtMs);
    if (reviewing && !view.breachedAt) deadlines.push(dueAtMs);
    if (view.stage === 'OFFICE_INFO' && view.infoRequest && !view.infoRequest.answeredAt) deadlines.push(Date.parse(view.infoRequest.dueAt));
    for (const e of view.exams) {
      const last = e.orders[e.orders.length - 1];
      if (last?.status === 'ACTIVE') deadlines.push(Date.parse(last.expiresAt));
      if (last?.status === 'EXPIRED' && e.status === 'APPROVED') deadlines.push(Date.parse(last.expiresAt) + msToNumber(policy.extensionGrace));
    }
    const open = view.exams.some((e) => e.status === 'PENDED' || e.status === 'APPROVED_AWAITING_PROVIDER' || e.status === 'APPROVED');
    if (!open) break;
    const next = deadlines.length ? Math.min(...deadlines) : undefined;
    const seen = changes;
    if (next === undefined) await condition(() => changes !== seen);
    else if (next > at) await condition(() => changes !== seen, next - at);

    // Whatever is due now.
    const t = Date.now();
    let changed = false;
    if (pended().length && !view.warnedAt && t >= warnAtMs) {
      view.warnedAt = new Date(t).toISOString();
      event('system', 'timeframe_warning', `${Math.round(policy.warnFraction * 100)}% of the decision timeframe has passed: the supervisor queue is warned`);
      changed = true;
    }
    if (pended().length && !view.breachedAt && t >= dueAtMs) {
      view.breachedAt = new Date(t).toISOString();
      event('system', 'timeframe_breached', 'The decision timeframe has passed without a decision');
      changed = true;
    }
    if (view.stage === 'OFFICE_INFO' && view.infoRequest && !view.infoRequest.answeredAt && t >= Date.parse(view.infoRequest.dueAt)) {
      view.infoRequest.timedOutAt = new Date(t).toISOString();
      view.stage = 'PHYSICIAN';
      event('system', 'information_timed_out', 'The office did not answer the information request in time: a physician reviews the case');
      changed = true;
    }
    for (const e of view.exams) {
      const last = e.orders[e.orders.length - 1];
      if (last?.status === 'ACTIVE' && t >= Date.parse(last.expiresAt)) {
        last.status = 'EXPIRED';
        event('system', 'order_expired', `Order number ${last.number} expired`, e.index);
        changed = true;
      }
      if (last?.status === 'EXPIRED' && e.status === 'APPROVED' && t >= Date.parse(last.expiresAt) + msToNumber(policy.extensionGrace)) {
        e.status = 'EXPIRED';
        changed = true;
      }
    }
    if (changed) await settle();
  }

  view.status = 'CLOSED';
  await settle();
  await condition(allHandlersFinished);
  await Promise.all(lettersSending);
  return view;
}
