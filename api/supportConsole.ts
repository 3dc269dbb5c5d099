import { WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { msToNumber, optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { searchAttributes } from '../common/searchAttributes';
import { recordTypeOf } from '../common/temporal';
import { activityLabel, durationInWords, failureInWords } from '../domain/problems';
import type { WorkflowProblem } from '../generated/prisma/client';
import { caseStatusQuery, type CaseView } from '../workflows/case';
import { registrationStatusQuery, type RegistrationView } from '../workflows/registration';
import type { ApiContext } from './context';

/**
 * The support console's reading of the system: lists from Temporal visibility (the search
 * attributes each workflow keeps up to date), stuck work from the problems the worker and the
 * mirror audit recorded (confirmed live before they are shown), and one workflow's history told
 * in domain words. Nothing here scans the case or user tables.
 */
export type SupportRecordType = 'CASE' | 'REGISTRATION';

export interface ListFilter {
  type?: SupportRecordType;
  status?: string;
  waitingOn?: string;
  /** Only records in their current state for longer than this. */
  inStateForMs?: number;
  /** Only cases whose decision is due within AT_RISK_WITHIN (or already overdue). */
  atRisk?: boolean;
  limit: number;
}

export type WorkflowItem = {
  workflowId: string;
  recordType: string;
  status: string | null;
  waitingOn: string | null;
  statusSince: string | null;
  inState: string | null;
  dueAt: string | null;
  due: string | null;
  caseNumber?: string;
  planId?: string;
  urgency?: string;
  assignedTo?: string | null;
  registrationId?: string;
  organization?: string | null;
  webUiUrl: string;
};

export type StuckReason = {
  kind: 'ACTIVITY_RETRYING' | 'WORKFLOW_TASK_FAILING' | 'MIRROR_DRIFT' | 'MANUAL_FOLLOW_UP' | 'OVERDUE';
  text: string;
  since: string;
  problemId?: string;
  activityId?: string;
  attempts?: number;
  /** What support can do about it (the console's repair commands). */
  repairs: string[];
};

export type StuckItem = WorkflowItem & { reasons: StuckReason[] };

const WAITING_WORDS: Record<string, string> = {
  NURSE: 'a nurse review',
  PHYSICIAN: 'a physician review',
  PEER_TO_PEER: 'the peer-to-peer call',
  OFFICE: 'the office',
  SUPPORT: 'a support decision',
  PROVIDER_EMAIL: 'the office to confirm its email',
  PROVIDER_SIGN_IN: 'the first sign-in',
};

/** A local activity's failure not seen again for this long is over (its retries are at most a minute apart). */
const LOCAL_RETRY_SILENCE_MS = 2 * 60_000;

/** Values that go into a visibility query: checked here, so that no query is injected. */
const KEYWORD = /^[A-Z_]{1,40}$/;

export function supportConsole(ctx: ApiContext) {
  const { prisma, temporal, config } = ctx;
  const ui = (workflowId: string, runId?: string) =>
    `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}${runId ? `/${runId}/history` : ''}`;
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const within = <T>(fn: () => Promise<T>, ms = 5_000) => temporal.connection.withDeadline(Date.now() + ms, fn);

  async function visible(query: string, limit: number): Promise<WorkflowExecutionInfo[]> {
    const out: WorkflowExecutionInfo[] = [];
    for await (const w of temporal.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
      out.push(w);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Visibility rows as items, with the case number or registration id from the mirror (one query each). */
  async function items(rows: { workflowId: string; runId?: string; sa: WorkflowExecutionInfo['typedSearchAttributes'] }[]): Promise<WorkflowItem[]> {
    const ids = rows.map((r) => r.workflowId);
    const [cases, users] = await Promise.all([
      prisma.case.findMany({ where: { workflowId: { in: ids } }, select: { workflowId: true, caseNumber: true, planId: true, urgency: true, assignedTo: true } }),
      prisma.user.findMany({ where: { workflowId: { in: ids }, accessRole: 'PROVIDER' }, select: { id: true, workflowId: true, organizationName: true }, orderBy: { registeredAt: 'asc' } }),
    ]);
    const caseOf = new Map(cases.map((c) => [c.workflowId, c]));
    const userOf = new Map(users.map((u) => [u.workflowId!, u]));
    const now = Date.now();
    return rows.map((r) => {
      const since = r.sa.get(searchAttributes.StatusSince);
      const due = r.sa.get(searchAttributes.DueAt);
      const c = caseOf.get(r.workflowId);
      const u = userOf.get(r.workflowId);
      return {
        workflowId: r.workflowId,
        recordType: r.sa.get(searchAttributes.RecordType) ?? recordTypeOf(r.workflowId),
        status: r.sa.get(searchAttributes.RecordStatus) ?? null,
        waitingOn: r.sa.get(searchAttributes.WaitingOn) ?? null,
        statusSince: since?.toISOString() ?? null,
        inState: since ? durationInWords(now - since.getTime()) : null,
        dueAt: due?.toISOString() ?? null,
        due: due ? (due.getTime() < now ? `${durationInWords(now - due.getTime())} ago` : `in ${durationInWords(due.getTime() - now)}`) : null,
        ...(c ? { caseNumber: c.caseNumber, planId: c.planId, urgency: c.urgency, assignedTo: c.assignedTo } : {}),
        ...(u ? { registrationId: u.id, organization: u.organizationName } : {}),
        webUiUrl: ui(r.workflowId, r.runId),
      };
    });
  }

  /** Running cases and registrations by status, waiting-on, time in state and risk, from visibility. */
  async function list(f: ListFilter): Promise<WorkflowItem[]> {
    const parts = ["ExecutionStatus = 'Running'", f.type ? `RecordType = '${f.type}'` : "RecordType IN ('CASE', 'REGISTRATION')"];
    if (f.status && KEYWORD.test(f.status)) parts.push(`RecordStatus = '${f.status}'`);
    if (f.waitingOn && KEYWORD.test(f.waitingOn)) parts.push(`WaitingOn = '${f.waitingOn}'`);
    if (f.inStateForMs !== undefined) parts.push(`StatusSince < '${iso(new Date(Date.now() - f.inStateForMs))}'`);
    if (f.atRisk) parts.push(`DueAt < '${iso(new Date(Date.now() + msToNumber(config.AT_RISK_WITHIN)))}'`);
    const rows = await visible(parts.join(' AND '), f.limit);
    const out = await items(rows.map((w) => ({ workflowId: w.workflowId, runId: w.runId, sa: w.typedSearchAttributes })));
    // Soonest due first, then longest in its state.
    return out.sort((a, b) => (a.dueAt ?? '9').localeCompare(b.dueAt ?? '9') || (a.statusSince ?? '9').localeCompare(b.statusSince ?? '9'));
  }

  const resolve = (p: Pick<WorkflowProblem, 'id'>, resolution: string) =>
    prisma.workflowProblem.updateMany({ where: { id: p.id, resolvedAt: null }, data: { resolvedAt: new Date(), resolvedBy: 'support console', resolution } });

  async function describe(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await within(() => temporal.workflow.getHandle(workflowId).describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Everything stuck, each with its reasons in domain words: problems the worker and the mirror
   * audit recorded (confirmed against the workflow first; those that healed are resolved here),
   * cases past their decision due time while waiting on a reviewer, and registrations waiting on
   * a support decision longer than SUPPORT_DECISION_TIME.
   */
  async function stuck(limit = 200): Promise<StuckItem[]> {
    const now = Date.now();
    const reasons = new Map<string, StuckReason[]>();
    const add = (workflowId: string, r: StuckReason) => reasons.set(workflowId, [...(reasons.get(workflowId) ?? []), r]);
    const open = await prisma.workflowProblem.findMany({ where: { resolvedAt: null, recordType: { in: ['CASE', 'REGISTRATION'] } }, orderBy: { firstSeenAt: 'asc' }, take: limit });
    const described = new Map<string, WorkflowExecutionDescription | undefined>();
    for (const id of new Set(open.filter((p) => p.kind === 'ACTIVITY_RETRYING' || p.kind === 'WORKFLOW_TASK_FAILING').map((p) => p.workflowId))) {
      described.set(id, await describe(id).catch(() => undefined));
    }
    for (const p of open) {
      const since = p.firstSeenAt.toISOString();
      const d = described.get(p.workflowId);
      if (p.kind === 'ACTIVITY_RETRYING') {
        if (d && d.status.name !== 'RUNNING') {
          await resolve(p, 'the workflow has closed');
          continue;
        }
        // A local activity retries inside the worker (it is no pending activity of the server,
        // and Temporal cannot reset it): it is still failing while the worker keeps reporting it.
        const local = p.key.startsWith('local-');
        const pending = local ? undefined : d?.raw.pendingActivities?.find((a) => a.activityId === p.key);
        if (d && (local ? now - p.lastSeenAt.getTime() > LOCAL_RETRY_SILENCE_MS : !pending)) {
          await resolve(p, 'the activity is no longer retrying');
          continue;
        }
        const attempts = Math.max(p.attempts, pending?.attempt ?? 0);
        if (attempts < config.STUCK_AFTER_ATTEMPTS) continue;
        const detail = pending?.lastFailure?.message ? failureInWords(pending.lastFailure.message, p.subject) : p.detail;
        add(p.workflowId, {
          kind: p.kind,
          text: `${p.subject} failing for ${durationInWords(now - p.firstSeenAt.getTime())} (${attempts} attempts): ${detail}`,
          since,
          problemId: p.id.toString(),
          ...(local ? {} : { activityId: p.key }),
          attempts,
          // A local activity retries on its own at most a minute apart: nothing to hurry.
          repairs: local ? [] : ['retry'],
        });
      } else if (p.kind === 'WORKFLOW_TASK_FAILING') {
        if (d && (d.status.name !== 'RUNNING' || (d.raw.pendingWorkflowTask?.attempt ?? 0) <= 1)) {
          await resolve(p, d.status.name !== 'RUNNING' ? 'the workflow has closed' : 'the workflow code runs again');
          continue;
        }
        add(p.workflowId, { kind: p.kind, text: `the workflow code fails on every try, for ${durationInWords(now - p.firstSeenAt.getTime())}: ${p.detail}`, since, problemId: p.id.toString(), repairs: ['terminate'] });
      } else if (p.kind === 'MIRROR_DRIFT') {
        add(p.workflowId, { kind: p.kind, text: `the database disagrees with the workflow: ${p.detail}`, since, problemId: p.id.toString(), repairs: ['resync'] });
      } else {
        add(p.workflowId, { kind: p.kind, text: `terminated by ${p.createdBy ?? 'support'} (${p.detail}): finish it by hand, then resolve`, since, problemId: p.id.toString(), repairs: ['resolve'] });
      }
    }

    const overdue = await visible(
      `ExecutionStatus = 'Running' AND RecordType = 'CASE' AND WaitingOn IN ('NURSE', 'PHYSICIAN', 'PEER_TO_PEER') AND DueAt < '${iso(new Date(now))}'`,
      limit,
    );
    const supportLate = await visible(
      `ExecutionStatus = 'Running' AND RecordType = 'REGISTRATION' AND WaitingOn = 'SUPPORT' AND StatusSince < '${iso(new Date(now - msToNumber(config.SUPPORT_DECISION_TIME)))}'`,
      limit,
    );
    const sa = new Map<string, { runId?: string; sa: WorkflowExecutionInfo['typedSearchAttributes'] }>();
    for (const w of [...overdue, ...supportLate]) {
      sa.set(w.workflowId, { runId: w.runId, sa: w.typedSearchAttributes });
      const since = w.typedSearchAttributes.get(searchAttributes.StatusSince);
      const due = w.typedSearchAttributes.get(searchAttributes.DueAt);
      const waiting = WAITING_WORDS[w.typedSearchAttributes.get(searchAttributes.WaitingOn) ?? ''] ?? 'a person';
      const waited = since ? ` for ${durationInWords(now - since.getTime())}` : '';
      add(w.workflowId, {
        kind: 'OVERDUE',
        text:
          w.typedSearchAttributes.get(searchAttributes.RecordType) === 'CASE'
            ? `waiting on ${waiting}${waited}, ${durationInWords(now - (due?.getTime() ?? now))} past the decision due time (${due?.toISOString()})`
            : `waiting on ${waiting}${waited}, longer than the ${config.SUPPORT_DECISION_TIME} promised to offices`,
        since: (since ?? due ?? new Date(now)).toISOString(),
        repairs: w.typedSearchAttributes.get(searchAttributes.RecordType) === 'CASE' ? ['reassign', 'cancel'] : ['decide'],
      });
    }
    // Problems' workflows not in those lists: their search attributes from visibility, one query.
    const missing = [...reasons.keys()].filter((id) => !sa.has(id));
    if (missing.length) {
      for (const w of await visible(`WorkflowId IN (${missing.map((id) => `'${id.replace(/'/g, '')}'`).join(', ')})`, missing.length * 2)) {
        if (!sa.has(w.workflowId)) sa.set(w.workflowId, { runId: w.runId, sa: w.typedSearchAttributes });
      }
    }
    const rows = [...reasons.keys()].map((workflowId) => ({ workflowId, runId: sa.get(workflowId)?.runId, sa: sa.get(workflowId)?.sa ?? decodeTypedSearchAttributes({}) }));
    const out = await items(rows);
    return out
      .map((i) => ({ ...i, reasons: reasons.get(i.workflowId)! }))
      .sort((a, b) => a.reasons[0]!.since.localeCompare(b.reasons[0]!.since));
  }

  /** The mirror's row against the workflow's own answer, field by field (running workflows). */
  async function mirrorCheck(workflowId: string, type: SupportRecordType) {
    const handle = temporal.workflow.getHandle(workflowId);
    try {
      if (type === 'CASE') {
        const [v, row] = await Promise.all([within(() => handle.query(caseStatusQuery)), prisma.case.findUnique({ where: { workflowId } })]);
        const workflow = { status: v.status === 'PENDED' ? `PENDED_${v.stage}` : v.status, waitingOn: v.waitingOn };
        const database = { status: row?.status ?? null, waitingOn: row?.waitingOn ?? null };
        return { matches: workflow.status === database.status && workflow.waitingOn === database.waitingOn, workflow, database };
      }
      const [v, row] = await Promise.all([
        within(() => handle.query(registrationStatusQuery)),
        prisma.user.findFirst({ where: { workflowId, accessRole: 'PROVIDER' }, orderBy: { registeredAt: 'desc' } }),
      ]);
      return { matches: v.status === row?.status, workflow: { status: v.status }, database: { status: row?.status ?? null } };
    } catch (err) {
      return { matches: null, error: `the workflow did not answer: ${failureInWords(err instanceof Error ? err.message : String(err))}` };
    }
  }

  /** One case or registration as support needs to see it: state, problems, what is pending, the history in words. */
  async function inspect(workflowId: string) {
    const type = recordTypeOf(workflowId) as SupportRecordType;
    const d = await describe(workflowId);
    if (!d) return undefined;
    const history = await within(() => temporal.workflow.getHandle(workflowId).fetchHistory(), 15_000);
    const events = history.events ?? [];
    const scheduled = new Map<string, { label: string; at?: Date }>();
    for (const e of events) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a) scheduled.set(String(e.eventId), { label: scheduledLabel(a), at: optionalTsToDate(e.eventTime) });
    }
    const byActivityId = new Map<string, { label: string; at?: Date }>();
    for (const e of events) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityId) byActivityId.set(a.activityId, scheduled.get(String(e.eventId))!);
    }
    const now = Date.now();
    const pendingActivities = (d.raw.pendingActivities ?? []).map((a) => {
      const s = byActivityId.get(a.activityId ?? '');
      const label = s?.label ?? activityLabel(a.activityType?.name ?? '');
      return {
        activityId: a.activityId ?? '',
        what: label,
        attempt: a.attempt ?? 1,
        since: s?.at?.toISOString() ?? null,
        lastFailure: a.lastFailure?.message ? failureInWords(a.lastFailure.message, label) : null,
        nextAttemptAt: optionalTsToDate(a.nextAttemptScheduleTime)?.toISOString() ?? null,
        text: a.lastFailure?.message
          ? `${label}: attempt ${a.attempt}, failing${s?.at ? ` for ${durationInWords(now - s.at.getTime())}` : ''}: ${failureInWords(a.lastFailure.message, label)}`
          : `${label}: running (attempt ${a.attempt})`,
      };
    });
    const view = d.status.name === 'RUNNING' ? await queryView(workflowId, type) : undefined;
    const timers = openTimers(events).map((t) => ({ ...t, what: timerPurpose(t.firesAt, view) }));
    const [problems, emails, mirror, record] = await Promise.all([
      prisma.workflowProblem.findMany({ where: { workflowId }, orderBy: { firstSeenAt: 'desc' } }),
      prisma.emailDelivery.findMany({ where: { workflowId }, orderBy: { createdAt: 'asc' } }),
      d.status.name === 'RUNNING' ? mirrorCheck(workflowId, type) : Promise.resolve({ matches: null, error: 'the workflow has closed: the database holds its last state' }),
      type === 'CASE'
        ? prisma.case.findUnique({ where: { workflowId }, select: { caseNumber: true, planId: true, status: true, waitingOn: true, assignedTo: true, dueAt: true } })
        : prisma.user.findFirst({ where: { workflowId, accessRole: 'PROVIDER' }, orderBy: { registeredAt: 'desc' }, select: { id: true, status: true, organizationName: true } }),
    ]);
    return {
      workflowId,
      runId: d.runId,
      recordType: type,
      execution: d.status.name,
      startedAt: d.startTime.toISOString(),
      closedAt: d.closeTime?.toISOString() ?? null,
      status: d.typedSearchAttributes.get(searchAttributes.RecordStatus) ?? null,
      waitingOn: d.typedSearchAttributes.get(searchAttributes.WaitingOn) ?? null,
      statusSince: d.typedSearchAttributes.get(searchAttributes.StatusSince)?.toISOString() ?? null,
      dueAt: d.typedSearchAttributes.get(searchAttributes.DueAt)?.toISOString() ?? null,
      record,
      workflowTask: (d.raw.pendingWorkflowTask?.attempt ?? 0) > 1 ? { failingAttempts: d.raw.pendingWorkflowTask!.attempt } : null,
      problems: problems.map((p) => ({
        id: p.id.toString(),
        kind: p.kind,
        subject: p.subject,
        detail: p.detail,
        attempts: p.attempts,
        firstSeenAt: p.firstSeenAt.toISOString(),
        lastSeenAt: p.lastSeenAt.toISOString(),
        resolvedAt: p.resolvedAt?.toISOString() ?? null,
        resolution: p.resolution,
      })),
      pendingActivities,
      timers,
      mirror,
      emails: emails.map((m) => ({ purpose: m.purpose, subject: m.subject, status: m.status, attempts: m.attempts, lastError: m.lastError ? failureInWords(m.lastError, 'email') : null, createdAt: m.createdAt.toISOString(), sentAt: m.sentAt?.toISOString() ?? null })),
      timeline: timeline(events),
      webUiUrl: ui(workflowId, d.runId),
    };
  }

  async function queryView(workflowId: string, type: SupportRecordType): Promise<CaseView | RegistrationView | undefined> {
    try {
      const handle = temporal.workflow.getHandle(workflowId);
      return type === 'CASE' ? await within(() => handle.query(caseStatusQuery)) : await within(() => handle.query(registrationStatusQuery));
    } catch {
      return undefined;
    }
  }

  /** What a workflow's activity does, in words, from its scheduling event (its arguments name the letter). */
  async function activityInWords(workflowId: string, activityId: string): Promise<string | undefined> {
    const history = await within(() => temporal.workflow.getHandle(workflowId).fetchHistory(), 15_000);
    for (const e of history.events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityId === activityId) return scheduledLabel(a);
    }
    return undefined;
  }

  return { list, stuck, inspect, mirrorCheck, activityInWords, ui };
}

/** A scheduled activity in words, from its type and arguments (which name the letter). */
function scheduledLabel(a: temporal.api.history.v1.IActivityTaskScheduledEventAttributes): string {
  return activityLabel(a.activityType?.name ?? '', decodeArgs(a.input?.payloads));
}

function decodeArgs(payloads: Payload[] | null | undefined): unknown[] {
  try {
    return (payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p));
  } catch {
    return [];
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Timers started and neither fired nor cancelled, with when they fire. */
function openTimers(events: HistoryEvent[]): { timerId: string; firesAt: string }[] {
  const open = new Map<string, string>();
  for (const e of events) {
    const t = e.timerStartedEventAttributes;
    if (t?.timerId) {
      const at = optionalTsToDate(e.eventTime)?.getTime() ?? 0;
      const ms = Number(t.startToFireTimeout?.seconds ?? 0) * 1000 + Math.round((t.startToFireTimeout?.nanos ?? 0) / 1e6);
      open.set(t.timerId, new Date(at + ms).toISOString());
    }
    const done = e.timerFiredEventAttributes?.timerId ?? e.timerCanceledEventAttributes?.timerId;
    if (done) open.delete(done);
  }
  return [...open].map(([timerId, firesAt]) => ({ timerId, firesAt }));
}

/** What a case's timer waits for, matched against the case's own deadlines. */
function timerPurpose(firesAt: string, view: CaseView | RegistrationView | undefined): string {
  const at = Date.parse(firesAt);
  const near = (iso: string | undefined) => !!iso && Math.abs(Date.parse(iso) - at) < 2_000;
  if (view && 'exams' in view) {
    const v = view as CaseView;
    if (near(v.dueAt)) return 'the decision due time';
    if (near(v.infoRequest?.dueAt)) return 'the office\'s answer to the information request';
    for (const e of v.exams) for (const o of e.orders) if (near(o.expiresAt)) return `order ${o.number} expires`;
    if (!v.warnedAt && at < Date.parse(v.dueAt)) return 'the warning to the supervisor queue';
    return 'the extension grace of an expired order';
  }
  if (view && 'accessKeySends' in view) {
    const v = view as RegistrationView;
    if (near(v.expiresAt)) return 'the registration expires unless used';
    if (near(v.accessKeyExpiresAt)) return 'the access key expires';
  }
  return 'a deadline';
}

const UPDATE_WORDS: Record<string, (args: unknown[]) => string> = {
  submitCase: () => 'the office submitted the request',
  addInformation: () => 'the office added Additional Information',
  nurseDecision: ([a, d]) => `nurse ${(a as { name?: string })?.name ?? ''}: ${(d as { action?: string })?.action ?? ''}`,
  physicianDecision: ([a, d]) => `physician ${(a as { name?: string })?.name ?? ''}: ${(d as { action?: string })?.action ?? ''}`,
  proposeCallWindows: () => 'the office proposed peer-to-peer call windows',
  peerToPeerOutcome: ([a, o]) => `peer-to-peer outcome from physician ${(a as { name?: string })?.name ?? ''}: ${(o as { outcome?: string })?.outcome ?? ''}`,
  chooseServicingProvider: () => 'the office chose or changed the servicing provider',
  extendOrder: () => 'the office asked for an extension',
  cancel: ([, , by]) => `cancelled by ${(by as { name?: string } | undefined)?.name ?? 'the office'}`,
  resendLetter: ([purpose, by]) => `${String(purpose)} sent again by ${(by as { name?: string })?.name ?? 'support'}`,
  resyncMirror: ([by]) => `the database copy written again by ${(by as { name?: string })?.name ?? 'support'}`,
  submitRegistration: () => 'the registration was submitted',
  confirmEmail: () => 'the office followed the email link',
  resendAccessKey: () => 'a new access key was asked for',
  decideRegistration: ([d]) => `support ${(d as { decidedBy?: string })?.decidedBy ?? ''}: ${(d as { decision?: string })?.decision ?? ''}`,
  recordSignIn: () => 'the first sign-in',
  resyncRegistrationMirror: ([by]) => `the database copy written again by ${String(by ?? 'support')}`,
};

/** The history in domain words: one line per event a person cares about (no workflow task bookkeeping). */
function timeline(events: HistoryEvent[]): { eventId: number; at: string; text: string }[] {
  const labels = new Map<string, string>();
  const out: { eventId: number; at: string; text: string }[] = [];
  const push = (e: HistoryEvent, text: string) => out.push({ eventId: Number(e.eventId), at: optionalTsToDate(e.eventTime)?.toISOString() ?? '', text });
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) push(e, `started (${e.workflowExecutionStartedEventAttributes.workflowType?.name})`);
    const sched = e.activityTaskScheduledEventAttributes;
    if (sched) {
      const label = activityLabel(sched.activityType?.name ?? '', decodeArgs(sched.input?.payloads));
      labels.set(String(e.eventId), label);
      push(e, `${label}: started`);
    }
    const done = e.activityTaskCompletedEventAttributes;
    if (done) push(e, `${labels.get(String(done.scheduledEventId)) ?? 'a step'}: done`);
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) push(e, `${labels.get(String(failed.scheduledEventId)) ?? 'a step'} failed for good: ${failureInWords(failed.failure?.message ?? '', labels.get(String(failed.scheduledEventId)))}`);
    const timedOut = e.activityTaskTimedOutEventAttributes;
    if (timedOut) push(e, `${labels.get(String(timedOut.scheduledEventId)) ?? 'a step'} timed out (the worker may have stopped)`);
    // A local activity leaves one marker when it is over (its arguments are not recorded; a mirror
    // write that tried a letter too says so in its result).
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const data = decodeArgs(marker.details?.data?.payloads)[0] as { activity_type?: string } | undefined;
      const label = activityLabel(data?.activity_type ?? '', []);
      push(e, marker.failure ? `${label} failed for good: ${failureInWords(marker.failure.message ?? '', label)}` : `${label}: done`);
      const letter = (decodeArgs(marker.details?.result?.payloads)[0] as { letter?: { sent: boolean; kind: string } } | undefined)?.letter;
      if (letter) push(e, `${activityLabel('sendCaseEmail', [letter])}: ${letter.sent ? 'done' : 'not sent on its first try, handed to a retrying step'}`);
    }
    const timer = e.timerStartedEventAttributes;
    if (timer) {
      const ms = Number(timer.startToFireTimeout?.seconds ?? 0) * 1000;
      push(e, `waiting until ${new Date((optionalTsToDate(e.eventTime)?.getTime() ?? 0) + ms).toISOString()}`);
    }
    if (e.timerFiredEventAttributes) push(e, 'a deadline came');
    const upsert = e.upsertWorkflowSearchAttributesEventAttributes;
    if (upsert) {
      const sa = decodeTypedSearchAttributes(upsert.searchAttributes?.indexedFields);
      const status = sa.get(searchAttributes.RecordStatus);
      const waiting = sa.get(searchAttributes.WaitingOn);
      if (status) push(e, `status ${status}${waiting ? `, waiting on ${WAITING_WORDS[waiting] ?? waiting}` : ''}`);
    }
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (update?.name) push(e, UPDATE_WORDS[update.name]?.(decodeArgs(update.args?.payloads)) ?? `update ${update.name}`);
    const wft = e.workflowTaskFailedEventAttributes;
    if (wft) push(e, `the workflow code failed: ${failureInWords(wft.failure?.message ?? String(wft.cause))}`);
    if (e.workflowExecutionCompletedEventAttributes) push(e, 'completed');
    if (e.workflowExecutionFailedEventAttributes) push(e, `failed: ${e.workflowExecutionFailedEventAttributes.failure?.message ?? ''}`);
    if (e.workflowExecutionTerminatedEventAttributes) push(e, `terminated: ${e.workflowExecutionTerminatedEventAttributes.reason ?? ''}`);
    if (e.workflowExecutionContinuedAsNewEventAttributes) push(e, 'continued as a new run');
  }
  return out;
}
