import { ApiError, get, post } from '../../api';
import { h, show, uid, type Child } from '../../dom';
import { field, problemSummary, submitting, values } from '../../forms';
import { badge, dateTime } from '../../format';
import { flash, navigate, page } from '../../router';
import './support.css';

/**
 * The support console in the portal: what is stuck and why (this file, with the registrations
 * waiting for a decision), finding any case or registration and its detail (workflow.ts). Every
 * repair asks why (kept in the audit log); after it, the page is drawn again from the API with
 * what happened shown at the top; a refusal stays in the form, beside the field or in its summary.
 */

// ---- Words shared by the support pages ----

export const STATUS_WORDS: Record<string, string> = {
  PENDED_NURSE: 'Waiting for a nurse review',
  PENDED_PHYSICIAN: 'Waiting for a physician review',
  PENDED_OFFICE_INFO: 'Waiting for information from the office',
  PENDED_PEER_TO_PEER_WINDOWS: 'Waiting for the office to propose peer-to-peer call times',
  PENDED_PEER_TO_PEER_CALL: 'Peer-to-peer call to be held',
  DECIDED: 'Decided',
  CLOSED: 'Closed',
  SUBMITTED: 'Submitted, being saved',
  DUPLICATE: 'Refused as a duplicate',
  PENDING_EMAIL: 'Waiting for the office to confirm its email',
  PENDING_ACTIVATION: 'Being verified',
  ACTIVE: 'Active',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
};

export const WAITING_WORDS: Record<string, string> = {
  NURSE: 'A nurse review',
  PHYSICIAN: 'A physician review',
  PEER_TO_PEER: 'The peer-to-peer call',
  OFFICE: 'The office',
  SUPPORT: 'A support decision',
  PROVIDER_EMAIL: 'The office to confirm its email',
  PROVIDER_SIGN_IN: "The office's first sign-in",
  NOBODY: 'Nobody',
};

export const RECORD_WORDS: Record<string, string> = { CASE: 'Case', REGISTRATION: 'Registration' };

const statusTone = (s: string | null) =>
  !s ? 'info' : s === 'DECIDED' || s === 'ACTIVE' ? 'ok' : s === 'REJECTED' || s === 'DUPLICATE' ? 'bad' : s === 'CLOSED' || s === 'EXPIRED' ? 'info' : 'wait';

/** A status in words, on a badge, with the status code the command line and the Web UI show. */
export function statusBadge(status: string | null | undefined): Child {
  if (!status) return h('span', { class: 'muted' }, 'Not known');
  return [badge(STATUS_WORDS[status] ?? status, statusTone(status)), ' ', h('code', { class: 'sp-code' }, status)];
}

/** What a record's due time means: a case's decision, a registration's access key or its sign-in window. */
export const dueLabel = (recordType: string, waitingOn: string | null | undefined) =>
  recordType === 'CASE' ? 'Decision due' : waitingOn === 'PROVIDER_EMAIL' ? 'Access key expires' : 'Expires unless used';

export const waitingWords = (w: string | null | undefined) => (w ? (WAITING_WORDS[w] ?? w) : 'Nobody');

/** The name a person reads for a case or registration. */
export function recordName(r: { recordType: string; caseNumber?: string; organization?: string | null; registrationId?: string; workflowId: string }): string {
  if (r.caseNumber) return `Case ${r.caseNumber}`;
  if (r.recordType === 'REGISTRATION') return `Registration of ${r.organization ?? 'an office'}`;
  return r.workflowId;
}

/** "Jan 5, 2026, 3:04:05 PM": support staff compare steps seconds apart. */
export const dateTimeSeconds = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString('en-US', { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' }) : '';

/** "in 4 min" or "12 s ago", from now. */
export function fromNow(iso: string | null | undefined): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - Date.now();
  const s = Math.round(Math.abs(ms) / 1000);
  const words = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 172_800 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86_400)} d`;
  return ms >= 0 ? `in ${words}` : `${words} ago`;
}

/** Shows `message` at the top of the page and draws the page again from the API. */
export function done(message: string): void {
  flash(message);
  navigate(location.pathname + location.search, { replace: true });
}

// ---- Repair forms ----

export interface RepairSpec {
  /** The button that opens the form. */
  label: string;
  tone?: 'primary' | 'warning';
  /** What the repair does, said before it is done. */
  intro: string;
  /** Fields asked for before the reason. */
  fields?: () => Child[];
  /** The reason or note field; null asks for none. */
  reason?: { name: string; label: string; hint?: string } | null;
  /** The submit button's words. */
  confirm: string;
  /** Calls the API; answers what happened, in words. */
  run: (v: Record<string, string>) => Promise<string>;
  /** What it is about, for a screen reader hearing the button on its own (an element id). */
  describedBy?: string;
}

const REASON = { name: 'reason', label: 'Why? (kept in the audit log)', hint: 'At least 5 characters, for example what the caller said or what was fixed' };

/**
 * A group of repairs: each button opens its small form below the group (one open at a time),
 * the form asks for the reason, and on success the page shows what happened and is drawn again.
 */
export function repairGroup(): { area: HTMLElement; button: (spec: RepairSpec) => HTMLButtonElement } {
  const area = h('div', { class: 'repair-area' });
  let opened: HTMLButtonElement | undefined;

  const close = () => {
    opened?.setAttribute('aria-expanded', 'false');
    show(area);
    const b = opened;
    opened = undefined;
    return b;
  };

  const button = (spec: RepairSpec) => {
    const formId = uid('repair');
    const b: HTMLButtonElement = h(
      'button',
      {
        type: 'button',
        class: spec.tone,
        'aria-expanded': 'false',
        'aria-controls': formId,
        'aria-describedby': spec.describedBy,
        onclick: () => {
          if (opened === b) return void close()?.focus();
          close();
          opened = b;
          b.setAttribute('aria-expanded', 'true');
          show(area, repairForm(spec, formId, () => close()?.focus()));
          area.querySelector<HTMLElement>('textarea, input, select, button[type=submit]')?.focus();
        },
      },
      spec.label,
    );
    return b;
  };
  return { area, button };
}

function repairForm(spec: RepairSpec, id: string, onClose: () => void): HTMLFormElement {
  const reason = spec.reason === undefined ? REASON : spec.reason;
  const headingId = `${id}-h`;
  const form: HTMLFormElement = h(
    'form',
    {
      id,
      class: 'repair-form',
      novalidate: true,
      'aria-labelledby': headingId,
      onsubmit: (e: Event) => {
        e.preventDefault();
        void submitting(form, form.querySelector('button[type=submit]'), async () => {
          const message = await spec.run(values(form) as Record<string, string>);
          done(message);
        });
      },
    },
    h('h3', { id: headingId }, spec.label),
    problemSummary(),
    h('p', null, spec.intro),
    spec.fields?.() ?? null,
    reason ? field({ label: reason.label, name: reason.name, type: 'textarea', rows: 2, required: true, hint: reason.hint, maxlength: 1000 }) : null,
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: spec.tone ?? 'primary' }, spec.confirm),
      h('button', { type: 'button', onclick: onClose }, 'Close without doing it'),
    ),
  );
  return form;
}

// ---- The repairs, as the API offers them ----

const enc = encodeURIComponent;

export const repairs = {
  retry: (workflowId: string, activityId: string, what: string, describedBy?: string): RepairSpec => ({
    label: 'Retry now',
    intro: `The step (${what}) runs again now instead of at its next scheduled attempt, and its attempts count from 1 again. Fix the cause first, for example the mail server.`,
    confirm: 'Retry the step now',
    describedBy,
    run: async (v) => (await post<{ message: string }>(`/api/support/workflows/${enc(workflowId)}/activities/${enc(activityId)}/retry`, { reason: v.reason })).message,
  }),
  terminate: (workflowId: string, describedBy?: string): RepairSpec => ({
    label: 'Terminate and follow up by hand',
    tone: 'warning',
    intro: 'The workflow stops for good. It is flagged for manual follow-up and stays on the stuck list until you mark the follow-up done.',
    confirm: 'Terminate the workflow',
    describedBy,
    run: async (v) => (await post<{ message: string }>(`/api/support/workflows/${enc(workflowId)}/terminate`, { reason: v.reason })).message,
  }),
  resync: (workflowId: string, describedBy?: string): RepairSpec => ({
    label: 'Write the database again from the workflow',
    intro: 'The workflow writes its own state to the database again, replacing what the database says now.',
    confirm: 'Write the database again',
    describedBy,
    run: async (v) => {
      const r = await post<{ mirror: { matches: boolean | null; error?: string } }>(`/api/support/workflows/${enc(workflowId)}/resync`, { reason: v.reason });
      return r.mirror.matches ? 'The database copy matches the workflow again.' : r.mirror.matches === false ? 'The database was written again, but it still differs from the workflow: look at the workflow.' : `The database was written again; it could not be checked: ${r.mirror.error ?? ''}`;
    },
  }),
  reassign: (caseNumber: string, planId: string | undefined, assignedTo: string | null | undefined, describedBy?: string): RepairSpec => ({
    label: 'Reassign',
    intro: `The case is assigned to another reviewer of its health plan${planId ? ` (${planId})` : ''}, or released to its queue. Assigned now to: ${assignedTo || 'nobody'}.`,
    fields: () => [
      field({ label: "Reviewer's username", name: 'username', autocomplete: 'off', hint: `A nurse or physician of health plan ${planId ?? 'of the case'}. Leave it empty to release the case to the queue.` }),
    ],
    confirm: 'Reassign the case',
    describedBy,
    run: async (v) => {
      const r = await post<{ caseNumber: string; assignedTo: string | null; previous: string | null }>(`/api/support/cases/${enc(caseNumber)}/assignee`, { username: v.username?.trim() || null, reason: v.reason }).catch((err: unknown) => {
        // "Not a reviewer of the plan" is about the username: said beside it.
        if (err instanceof ApiError && err.code === 'not_a_reviewer') throw new ApiError(err.status, err.code, err.message, { problems: [{ field: 'username', message: err.message }] });
        throw err;
      });
      return `Case ${r.caseNumber} is now ${r.assignedTo ? `assigned to ${r.assignedTo}` : 'released to its queue'} (it was ${r.previous ? `assigned to ${r.previous}` : 'assigned to nobody'}).`;
    },
  }),
  cancel: (caseNumber: string, describedBy?: string): RepairSpec => ({
    label: 'Cancel the case for the office',
    tone: 'warning',
    intro: 'Cancels the request as the office asked (decision C, with your name); the office gets the cancellation letter. Give the reason the office gave.',
    confirm: 'Cancel the case',
    describedBy,
    run: async (v) => {
      await post(`/api/support/cases/${enc(caseNumber)}/cancel`, { reason: v.reason });
      return `Case ${caseNumber} is cancelled (decision C); the office gets the cancellation letter.`;
    },
  }),
  resolve: (problemId: string, describedBy?: string): RepairSpec => ({
    label: 'Mark the follow-up done',
    intro: 'Closes the manual follow-up: say what was done.',
    reason: { name: 'note', label: 'What was done? (kept in the audit log)', hint: 'At least 5 characters' },
    confirm: 'Mark it done',
    describedBy,
    run: async (v) => {
      await post(`/api/support/problems/${enc(problemId)}/resolve`, { note: v.note });
      return `Follow-up ${problemId} is marked done.`;
    },
  }),
  resendLetter: (caseNumber: string, purpose: string, subject: string, describedBy?: string): RepairSpec => ({
    label: 'Send again',
    intro: `The letter "${subject}" is composed again from the case as it is now and emailed to the office.`,
    confirm: 'Send the letter again',
    describedBy,
    run: async (v) => (await post<{ message: string }>(`/api/support/cases/${enc(caseNumber)}/letters/${enc(purpose)}/resend`, { reason: v.reason })).message,
  }),
  accessKey: (registrationId: string, describedBy?: string): RepairSpec => ({
    label: 'Send a new access key',
    intro: 'Emails the office a new link to confirm its email address; the older link stops working.',
    confirm: 'Email the new link',
    describedBy,
    run: async (v) => {
      const r = await post<{ accessKeySends: number }>(`/api/support/registrations/${enc(registrationId)}/access-key`, { reason: v.reason });
      return `A new access key link is on its way to the office (send ${r.accessKeySends}).`;
    },
  }),
};

// ---- Stuck work ----

interface StuckReason {
  kind: string;
  text: string;
  since: string;
  repairs: string[];
  problemId?: string;
  activityId?: string;
  attempts?: number;
}

/** A running case or registration as the support lists give it. */
export interface WorkflowItem {
  workflowId: string;
  recordType: string;
  status: string | null;
  waitingOn: string | null;
  inState: string | null;
  dueAt: string | null;
  due: string | null;
  caseNumber?: string;
  planId?: string;
  urgency?: string;
  assignedTo?: string | null;
  registrationId?: string;
  organization?: string | null;
}

interface StuckItem extends WorkflowItem {
  reasons: StuckReason[];
}

const KIND: Record<string, [string, 'bad' | 'wait']> = {
  ACTIVITY_RETRYING: ['A step keeps failing', 'bad'],
  WORKFLOW_TASK_FAILING: ['The workflow code fails', 'bad'],
  MIRROR_DRIFT: ['The database copy differs', 'bad'],
  MANUAL_FOLLOW_UP: ['Manual follow-up', 'wait'],
  OVERDUE: ['Overdue', 'bad'],
};

/** Repairs of the whole workflow: offered once per item, however many reasons list them. */
const WHOLE = ['reassign', 'cancel', 'resync', 'terminate', 'decide'];

function stuckItem(item: StuckItem): HTMLElement {
  const headingId = uid('stuck');
  const name = recordName(item);
  const whole = WHOLE.filter((r) => item.reasons.some((x) => x.repairs.includes(r)));
  const group = repairGroup();
  const wholeButtons: Child[] = whole.map((r) => {
    if (r === 'decide') return h('a', { class: 'button primary', href: '/support/registrations' }, 'Decide the registration');
    if (r === 'reassign' && item.caseNumber) return group.button(repairs.reassign(item.caseNumber, item.planId, item.assignedTo, headingId));
    if (r === 'cancel' && item.caseNumber) return group.button(repairs.cancel(item.caseNumber, headingId));
    if (r === 'resync') return group.button(repairs.resync(item.workflowId, headingId));
    if (r === 'terminate') return group.button(repairs.terminate(item.workflowId, headingId));
    return null;
  });

  return h(
    'article',
    { class: 'card stuck-item', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, h('a', { href: `/support/workflows/${enc(item.workflowId)}` }, name)),
    h(
      'dl',
      { class: 'summary' },
      h('dt', null, 'Status'),
      h('dd', null, statusBadge(item.status)),
      h('dt', null, 'Waiting on'),
      h('dd', null, waitingWords(item.waitingOn)),
      item.inState ? [h('dt', null, 'In this state for'), h('dd', null, item.inState)] : null,
      item.due ? [h('dt', null, dueLabel(item.recordType, item.waitingOn)), h('dd', null, item.due, item.dueAt ? h('span', { class: 'muted' }, ` (${dateTime(item.dueAt)})`) : null)] : null,
      item.caseNumber ? [h('dt', null, 'Assigned to'), h('dd', null, item.assignedTo || 'Nobody')] : null,
      item.planId ? [h('dt', null, 'Health plan'), h('dd', null, item.planId, item.urgency ? `, ${item.urgency === 'URGENT' ? 'expedited' : item.urgency.toLowerCase()}` : '')] : null,
      item.registrationId ? [h('dt', null, 'Registration id'), h('dd', null, h('code', null, item.registrationId))] : null,
    ),
    h('h3', null, 'Why it is stuck'),
    h(
      'ul',
      { class: 'sp-reasons' },
      ...item.reasons.map((r) => {
        const [kind, tone] = KIND[r.kind] ?? [r.kind, 'bad'];
        const own = repairGroup();
        const buttons = [
          r.repairs.includes('retry') && r.activityId ? own.button(repairs.retry(item.workflowId, r.activityId, r.text.split(' failing ')[0] ?? 'the step', headingId)) : null,
          r.repairs.includes('resolve') && r.problemId ? own.button(repairs.resolve(r.problemId, headingId)) : null,
        ].filter(Boolean);
        return h(
          'li',
          null,
          badge(kind, tone),
          ' ',
          h('span', { class: 'reason-text' }, r.text),
          h('span', { class: 'muted' }, ` (since ${dateTime(r.since)})`),
          buttons.length ? [h('div', { class: 'actions' }, ...buttons), own.area] : null,
        );
      }),
    ),
    wholeButtons.length ? [h('h3', null, 'What you can do'), h('div', { class: 'actions' }, ...wholeButtons), group.area] : null,
  );
}

page({
  path: '/support',
  title: 'Stuck work',
  roles: ['SUPPORT'],
  render: async () => {
    const { stuck } = await get<{ stuck: StuckItem[] }>('/api/support/stuck');
    const mirrorForm: HTMLFormElement = h(
      'form',
      {
        class: 'mirror-check',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          void submitting(mirrorForm, mirrorForm.querySelector('button[type=submit]'), async () => {
            const r = await post<{ checked: number; drifted: number; resolved: number; at: string }>('/api/support/mirror-audits');
            const checked = r.checked === 1 ? '1 running case or registration compared' : `${r.checked} running cases and registrations compared`;
            const differ = r.drifted === 1 ? '1 differs from its workflow' : `${r.drifted} differ from their workflows`;
            const gone = r.resolved === 1 ? '1 earlier difference is gone' : `${r.resolved} earlier differences are gone`;
            done(`Database mirror checked at ${dateTimeSeconds(r.at)}: ${checked}, ${differ}, ${gone}.`);
          });
        },
      },
      problemSummary(),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Check the database mirror now'),
        h('a', { class: 'button', href: '/support' }, 'Refresh the list'),
      ),
    );
    return [
      h('h1', null, 'Stuck work'),
      h('p', null, 'Cases and registrations that need support, why each is stuck in plain words, and what you can do. Every repair asks why: the reason is kept in the audit log.'),
      mirrorForm,
      stuck.length
        ? [h('p', null, stuck.length === 1 ? '1 case or registration is stuck.' : `${stuck.length} cases and registrations are stuck, the longest stuck first.`), ...stuck.map(stuckItem)]
        : h('p', { class: 'notice' }, 'Nothing is stuck right now.'),
    ];
  },
});

// ---- Registrations waiting for a support decision ----

interface WaitingRegistration {
  registrationId: string;
  status: string;
  reviewReasons: string[];
  name: string;
  role: string;
  email: string | null;
  username: string | null;
  organization: { name: string; addressLines: string[] } | null;
  tins: string[];
  planIds: string[];
  registeredAt: string;
  emailVerifiedAt: string | null;
}

function waitingRegistration(r: WaitingRegistration): HTMLElement {
  const headingId = uid('reg');
  const org = r.organization?.name ?? 'an office';
  const group = repairGroup();
  const decided = (d: { statusLabel: string }, what: string) => `The registration of ${org} (${r.username ?? r.name}) is ${what}: its status is now "${d.statusLabel}".`;
  return h(
    'article',
    { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, org, h('span', { class: 'muted' }, ` (${r.username ?? r.name})`)),
    h(
      'dl',
      { class: 'summary' },
      h('dt', null, 'Name and role'),
      h('dd', null, `${r.name}, ${r.role}`),
      h('dt', null, 'Username'),
      h('dd', null, r.username ?? ''),
      h('dt', null, 'Email'),
      h('dd', null, r.email ?? '', r.emailVerifiedAt ? h('span', { class: 'muted' }, ` (confirmed ${dateTime(r.emailVerifiedAt)})`) : null),
      h('dt', null, 'Organization'),
      h('dd', null, org, ...(r.organization?.addressLines ?? []).map((l) => [h('br'), l])),
      h('dt', null, 'Tax IDs (TINs)'),
      h('dd', null, r.tins.join(', ')),
      h('dt', null, 'Health plans'),
      h('dd', null, r.planIds.join(', ')),
      h('dt', null, 'Registered'),
      h('dd', null, dateTime(r.registeredAt)),
    ),
    h('h3', null, 'Why automatic verification could not decide'),
    h('ul', null, ...r.reviewReasons.map((x) => h('li', null, x))),
    h(
      'div',
      { class: 'actions' },
      group.button({
        label: 'Approve',
        tone: 'primary',
        intro: 'The account becomes active and the office gets an email saying it can sign in.',
        reason: null,
        confirm: 'Approve the registration',
        describedBy: headingId,
        run: async () => decided(await post<{ statusLabel: string }>(`/api/support/registrations/${enc(r.registrationId)}/decision`, { decision: 'APPROVE' }), 'approved'),
      }),
      group.button({
        label: 'Reject',
        tone: 'warning',
        intro: 'The registration is rejected and the office gets an email with your reason; its username and email address may register again.',
        reason: { name: 'reason', label: 'Reason the office will read', hint: 'At least 10 characters: say what is wrong and what the office can do, for example register again with the organization name on file for its TIN.' },
        confirm: 'Reject the registration',
        describedBy: headingId,
        run: async (v) => decided(await post<{ statusLabel: string }>(`/api/support/registrations/${enc(r.registrationId)}/decision`, { decision: 'REJECT', reason: v.reason }), 'rejected'),
      }),
      h('a', { href: `/support/workflows/${enc(r.registrationId)}`, 'aria-describedby': headingId }, 'See its workflow'),
    ),
    group.area,
  );
}

page({
  path: '/support/registrations',
  title: 'Registrations waiting for a decision',
  roles: ['SUPPORT'],
  render: async () => {
    const { registrations } = await get<{ registrations: WaitingRegistration[] }>('/api/support/registrations?waitingOnSupport=true&limit=200');
    return [
      h('h1', null, 'Registrations waiting for a decision'),
      h('p', null, 'Offices whose registration automatic verification could not decide, oldest first. Check the reasons (call the office if needed), then approve or reject.'),
      registrations.length
        ? [h('p', null, registrations.length === 1 ? '1 registration is waiting.' : `${registrations.length} registrations are waiting.`), ...registrations.map(waitingRegistration)]
        : h('p', { class: 'notice' }, 'No registration is waiting for a support decision.'),
    ];
  },
});
