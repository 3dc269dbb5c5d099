import { ApiError, get } from '../../api';
import { h, uid, type Child } from '../../dom';
import { choices, field, problemSummary, submitting, values } from '../../forms';
import { badge, dateTime } from '../../format';
import { navigate, page } from '../../router';
import { dateTimeSeconds, dueLabel, fromNow, RECORD_WORDS, recordName, repairGroup, repairs, STATUS_WORDS, statusBadge, WAITING_WORDS, waitingWords, type WorkflowItem } from './stuck';

/**
 * Finding a case or registration (by what it waits on and for how long, or by its number or
 * id), and one workflow as support needs to see it: state, problems, what is pending, emails,
 * the database mirror against the workflow, the history in plain words, and its repairs.
 */

const enc = encodeURIComponent;
const WORKFLOW_ID = /^(case|registration)-[A-Za-z0-9-]{8,80}$/;


const CASE_STATUSES = ['PENDED_NURSE', 'PENDED_PHYSICIAN', 'PENDED_OFFICE_INFO', 'PENDED_PEER_TO_PEER_WINDOWS', 'PENDED_PEER_TO_PEER_CALL', 'DECIDED', 'CLOSED'];
const REGISTRATION_STATUSES = ['PENDING_EMAIL', 'PENDING_ACTIVATION', 'ACTIVE'];
const IN_STATE = [
  ['30m', '30 minutes'],
  ['4h', '4 hours'],
  ['1d', '1 day'],
  ['2d', '2 days'],
  ['7d', '1 week'],
] as const;

/** A select whose empty choice means "any". */
function anySelect(o: { label: string; name: string; choices: { value: string; label: string }[]; value: string | null }): HTMLElement {
  const f = field({ label: o.label, name: o.name, type: 'select', choices: o.choices, value: o.value });
  f.querySelector('option[value=""]')!.textContent = 'Any';
  return f;
}

page({
  path: '/support/workflows',
  title: 'Find a case or registration',
  roles: ['SUPPORT'],
  render: async ({ query }) => {
    // Open one: a case number, a registration id or a workflow id.
    const openForm: HTMLFormElement = h(
      'form',
      {
        role: 'search',
        'aria-label': 'Open a case or registration',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const ref = String(values(openForm).ref ?? '').trim();
          void submitting(openForm, openForm.querySelector('button[type=submit]'), async () => {
            if (!ref) throw new ApiError(400, 'validation_failed', 'Enter a case number, registration id or workflow id', { problems: [{ field: 'ref', message: 'Enter a case number, registration id or workflow id' }] });
            try {
              const found = await get<{ workflowId: string }>(`/api/support/lookup?ref=${enc(ref)}`);
              navigate(`/support/workflows/${enc(found.workflowId)}`);
            } catch (err) {
              if (err instanceof ApiError && !err.problems.length) throw new ApiError(err.status, err.code, err.message, { problems: [{ field: 'ref', message: err.message }] });
              throw err;
            }
          });
        },
      },
      problemSummary(),
      field({ label: 'Case number, registration id or workflow id', name: 'ref', autocomplete: 'off', hint: 'Such as PA-1234-5678-901, a registration id from an email, or case-... from a log' }),
      h('button', { type: 'submit', class: 'primary' }, 'Open'),
    );

    // The list, by the filters in the address (so that a list can be shared and reloaded).
    const type = query.get('type');
    const statuses = type === 'CASE' ? CASE_STATUSES : type === 'REGISTRATION' ? REGISTRATION_STATUSES : [...CASE_STATUSES, ...REGISTRATION_STATUSES];
    const filterForm: HTMLFormElement = h(
      'form',
      {
        'aria-label': 'Filters',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = values(filterForm) as Record<string, string | boolean | undefined>;
          const q = new URLSearchParams();
          for (const k of ['type', 'status', 'waitingOn', 'inStateFor']) if (v[k]) q.set(k, String(v[k]));
          if (filterForm.querySelector<HTMLInputElement>('input[name=atRisk]')?.checked) q.set('atRisk', 'true');
          navigate(`/support/workflows${q.size ? `?${q}` : ''}`);
        },
      },
      h(
        'div',
        { class: 'filters' },
        anySelect({ label: 'Type', name: 'type', choices: [{ value: 'CASE', label: 'Cases' }, { value: 'REGISTRATION', label: 'Registrations' }], value: type }),
        anySelect({ label: 'Status', name: 'status', choices: statuses.map((s) => ({ value: s, label: STATUS_WORDS[s] ?? s })), value: query.get('status') }),
        anySelect({ label: 'Waiting on', name: 'waitingOn', choices: Object.entries(WAITING_WORDS).filter(([k]) => k !== 'NOBODY').map(([value, label]) => ({ value, label })), value: query.get('waitingOn') }),
        anySelect({ label: 'In this state for longer than', name: 'inStateFor', choices: IN_STATE.map(([value, label]) => ({ value, label })), value: query.get('inStateFor') }),
      ),
      choices({ legend: 'Risk', name: 'atRisk', type: 'checkbox', options: [{ value: 'true', label: 'Only cases at risk of missing their decision due time, or overdue' }], value: query.get('atRisk') === 'true' ? 'true' : undefined }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Show'), h('a', { class: 'button', href: '/support/workflows' }, 'Clear the filters')),
    );

    let results: Child;
    try {
      const { workflows } = await get<{ workflows: WorkflowItem[] }>(`/api/support/workflows${query.size ? `?${query}` : ''}`);
      results = workflows.length
        ? [
            h('p', null, workflows.length === 1 ? '1 running case or registration matches.' : `${workflows.length} running cases and registrations match, soonest due first.`),
            h(
              'table',
              null,
              h('caption', { class: 'muted' }, 'Running cases and registrations'),
              h(
                'thead',
                null,
                h('tr', null, ...['Case or registration', 'Status', 'Waiting on', 'In this state for', 'Due', 'Assigned to'].map((t) => h('th', { scope: 'col' }, t))),
              ),
              h(
                'tbody',
                null,
                ...workflows.map((w) =>
                  h(
                    'tr',
                    null,
                    h('td', { class: w.caseNumber ? 'nowrap' : undefined }, h('a', { href: `/support/workflows/${enc(w.workflowId)}` }, recordName(w))),
                    h('td', null, statusBadge(w.status)),
                    h('td', null, waitingWords(w.waitingOn)),
                    h('td', null, w.inState ?? ''),
                    h('td', null, w.due ? (w.recordType === 'CASE' ? w.due : `${dueLabel(w.recordType, w.waitingOn)} ${w.due}`) : ''),
                    h('td', null, w.recordType === 'CASE' ? (w.assignedTo ?? 'Nobody') : ''),
                  ),
                ),
              ),
            ),
          ]
        : h('p', { class: 'notice' }, 'No running case or registration matches these filters.');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results = h('div', { class: 'problem-summary', role: 'alert' }, h('p', null, err.message), ...err.problems.map((p) => h('p', null, p.message)));
    }

    return [
      h('h1', null, 'Find a case or registration'),
      h('section', { 'aria-labelledby': 'open-h' }, h('h2', { id: 'open-h' }, 'Open one'), h('div', { class: 'narrow' }, openForm)),
      h('section', { 'aria-labelledby': 'list-h' }, h('h2', { id: 'list-h' }, 'Running cases and registrations'), filterForm, h('div', { 'aria-live': 'polite' }, results)),
    ];
  },
});

// ---- One workflow ----

interface Problem {
  id: string;
  kind: string;
  subject: string;
  detail: string;
  attempts: number;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

interface Inspected {
  workflowId: string;
  runId: string;
  recordType: 'CASE' | 'REGISTRATION';
  execution: string;
  startedAt: string;
  closedAt: string | null;
  status: string | null;
  waitingOn: string | null;
  statusSince: string | null;
  dueAt: string | null;
  record:
    | { caseNumber: string; planId: string; status: string; waitingOn: string; assignedTo: string | null; dueAt: string }
    | { id: string; status: string; organizationName: string | null }
    | null;
  workflowTask: { failingAttempts: number } | null;
  problems: Problem[];
  pendingActivities: { activityId: string; what: string; attempt: number; since: string | null; lastFailure: string | null; nextAttemptAt: string | null; text: string }[];
  timers: { timerId: string; firesAt: string; what: string }[];
  mirror: { matches: boolean | null; workflow?: Record<string, string | null>; database?: Record<string, string | null>; error?: string };
  emails: { purpose: string; subject: string; status: string; attempts: number; lastError: string | null; createdAt: string; sentAt: string | null }[];
  timeline: { eventId: number; at: string; text: string }[];
  webUiUrl: string;
}

const EXECUTION: Record<string, [string, 'ok' | 'wait' | 'bad' | 'info']> = {
  RUNNING: ['Running', 'ok'],
  COMPLETED: ['Completed', 'info'],
  TERMINATED: ['Terminated', 'bad'],
  FAILED: ['Failed', 'bad'],
  CANCELLED: ['Cancelled', 'info'],
  TIMED_OUT: ['Timed out', 'bad'],
  CONTINUED_AS_NEW: ['Continued as a new run', 'info'],
};

const PROBLEM_KIND: Record<string, string> = {
  ACTIVITY_RETRYING: 'A step keeps failing',
  WORKFLOW_TASK_FAILING: 'The workflow code fails',
  MIRROR_DRIFT: 'The database copy differs',
  MANUAL_FOLLOW_UP: 'Manual follow-up',
};

const CASE_LETTER = /^(decision|info_request|cancelled|peer_to_peer)-\d+$/;

const section = (title: string, ...children: Child[]) => {
  const id = uid('sec');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
};

page({
  path: '/support/workflows/:workflowId',
  title: 'Case or registration',
  roles: ['SUPPORT'],
  render: async ({ params }) => {
    // A case number or registration id works too: its workflow's address replaces it.
    let workflowId = params.workflowId!;
    if (!WORKFLOW_ID.test(workflowId)) {
      workflowId = (await get<{ workflowId: string }>(`/api/support/lookup?ref=${enc(workflowId)}`)).workflowId;
      history.replaceState(null, '', `/support/workflows/${enc(workflowId)}`);
    }
    const v = await get<Inspected>(`/api/support/workflows/${enc(workflowId)}`);
    const running = v.execution === 'RUNNING';
    const rec = v.record;
    const caseRec = rec && 'caseNumber' in rec ? rec : null;
    const regRec = rec && 'organizationName' in rec ? rec : null;
    const name = recordName({ recordType: v.recordType, workflowId, caseNumber: caseRec?.caseNumber, organization: regRec?.organizationName });
    const [execWords, execTone] = EXECUTION[v.execution] ?? [v.execution, 'info'];
    const openProblems = v.problems.filter((p) => !p.resolvedAt);
    const closedProblems = v.problems.filter((p) => p.resolvedAt);

    // State
    const summary = h(
      'dl',
      { class: 'summary' },
      h('dt', null, 'Workflow'),
      h('dd', null, badge(execWords, execTone), ' ', h('code', { class: 'sp-code' }, workflowId)),
      h('dt', null, 'Status'),
      h('dd', null, statusBadge(v.status ?? rec?.status)),
      h('dt', null, 'Waiting on'),
      h('dd', null, waitingWords(v.waitingOn)),
      v.statusSince ? [h('dt', null, 'In this state since'), h('dd', null, `${dateTime(v.statusSince)} (${fromNow(v.statusSince)})`)] : null,
      v.dueAt ? [h('dt', null, dueLabel(v.recordType, v.waitingOn)), h('dd', null, `${dateTime(v.dueAt)} (${fromNow(v.dueAt)})`, Date.parse(v.dueAt) < Date.now() ? [' ', badge(v.recordType === 'CASE' ? 'Overdue' : 'Past due', 'bad')] : null)] : null,
      caseRec ? [h('dt', null, 'Health plan'), h('dd', null, caseRec.planId), h('dt', null, 'Assigned to'), h('dd', null, caseRec.assignedTo ?? 'Nobody')] : null,
      regRec ? [h('dt', null, 'Organization'), h('dd', null, regRec.organizationName ?? ''), h('dt', null, 'Registration id'), h('dd', null, h('code', null, regRec.id))] : null,
      h('dt', null, 'Started'),
      h('dd', null, dateTimeSeconds(v.startedAt)),
      v.closedAt ? [h('dt', null, 'Closed'), h('dd', null, dateTimeSeconds(v.closedAt))] : null,
    );

    // Problems, and failing workflow code
    const problemsGroup = repairGroup();
    const problems = section(
      'Problems',
      v.workflowTask
        ? h('p', { class: 'notice' }, badge('The workflow code fails', 'bad'), ` It fails on every try (${v.workflowTask.failingAttempts} attempts so far), usually after a bad deploy. Terminate the workflow and finish the work by hand.`)
        : null,
      openProblems.length
        ? h(
            'ul',
            { class: 'sp-reasons' },
            ...openProblems.map((p) =>
              h(
                'li',
                null,
                badge(PROBLEM_KIND[p.kind] ?? p.kind, p.kind === 'MANUAL_FOLLOW_UP' ? 'wait' : 'bad'),
                ' ',
                `${p.subject}: ${p.detail}`,
                h('span', { class: 'muted' }, ` (first seen ${dateTime(p.firstSeenAt)}, last seen ${dateTime(p.lastSeenAt)}${p.attempts > 1 ? `, ${p.attempts} attempts` : ''})`),
                p.kind === 'MANUAL_FOLLOW_UP' ? h('div', { class: 'actions' }, problemsGroup.button(repairs.resolve(p.id))) : null,
              ),
            ),
          )
        : v.workflowTask
          ? null
          : h('p', null, badge('None', 'ok'), ' No open problems.'),
      problemsGroup.area,
      closedProblems.length
        ? h(
            'details',
            null,
            h('summary', null, `Resolved problems (${closedProblems.length})`),
            h('ul', null, ...closedProblems.map((p) => h('li', null, `${PROBLEM_KIND[p.kind] ?? p.kind}: ${p.subject}: ${p.detail}. Resolved ${dateTime(p.resolvedAt)}: ${p.resolution ?? ''}`))),
          )
        : null,
    );

    // Pending activities
    const activitiesGroup = repairGroup();
    const activities = section(
      'Steps in progress',
      v.pendingActivities.length
        ? h(
            'ul',
            { class: 'sp-reasons' },
            ...v.pendingActivities.map((a) => {
              const id = uid('act');
              return h(
                'li',
                null,
                h('span', { id }, a.text),
                h(
                  'span',
                  { class: 'muted' },
                  [a.since ? ` Started ${dateTime(a.since)}.` : '', a.nextAttemptAt ? ` Next attempt ${fromNow(a.nextAttemptAt)}.` : ''].join(''),
                ),
                h('div', { class: 'actions' }, activitiesGroup.button(repairs.retry(workflowId, a.activityId, a.what, id))),
              );
            }),
          )
        : h('p', null, 'No step is running or retrying.'),
      activitiesGroup.area,
    );

    // Timers
    const timers = section(
      'Timers',
      v.timers.length
        ? h(
            'table',
            null,
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Waits for'), h('th', { scope: 'col' }, 'When'))),
            h('tbody', null, ...v.timers.map((t) => h('tr', null, h('td', null, t.what), h('td', null, `${dateTimeSeconds(t.firesAt)} (${fromNow(t.firesAt)})`)))),
          )
        : h('p', null, 'No timer is waiting.'),
    );

    // Emails
    const emailsGroup = repairGroup();
    const emails = section(
      'Emails',
      v.emails.length
        ? h(
            'table',
            null,
            h('thead', null, h('tr', null, ...['Email', 'Status', 'Attempts', 'Sent', ''].map((t, i) => h('th', { scope: 'col' }, t || h('span', { class: 'visually-hidden' }, i === 4 ? 'Action' : ''))))),
            h(
              'tbody',
              null,
              ...v.emails.map((m) => {
                const id = uid('mail');
                return h(
                  'tr',
                  null,
                  h('td', { id }, m.subject, h('br'), h('code', { class: 'muted' }, m.purpose)),
                  h('td', null, m.status === 'SENT' ? badge('Sent', 'ok') : badge('Sending', 'wait'), m.lastError ? h('p', { class: 'error' }, m.lastError) : null),
                  h('td', null, String(m.attempts)),
                  h('td', null, dateTime(m.sentAt)),
                  h('td', null, caseRec && running && CASE_LETTER.test(m.purpose) ? emailsGroup.button(repairs.resendLetter(caseRec.caseNumber, m.purpose, m.subject, id)) : ''),
                );
              }),
            ),
          )
        : h('p', null, 'No email sent yet.'),
      emailsGroup.area,
    );

    // The database mirror
    const mirrorGroup = repairGroup();
    const fields = [...new Set([...Object.keys(v.mirror.workflow ?? {}), ...Object.keys(v.mirror.database ?? {})])];
    const mirror = section(
      'Database copy',
      v.mirror.matches === true
        ? h('p', null, badge('Matches', 'ok'), ' The database says what the workflow says.')
        : v.mirror.matches === false
          ? [
              h('p', null, badge('Differs', 'bad'), ' The database disagrees with the workflow: the workflow is right.'),
              h(
                'table',
                null,
                h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'The workflow says'), h('th', { scope: 'col' }, 'The database says'))),
                h(
                  'tbody',
                  null,
                  ...fields.map((f) =>
                    h('tr', null, h('th', { scope: 'row' }, f), h('td', null, String(v.mirror.workflow?.[f] ?? '')), h('td', null, String(v.mirror.database?.[f] ?? ''), v.mirror.workflow?.[f] !== v.mirror.database?.[f] ? [' ', badge('Differs', 'bad')] : null)),
                  ),
                ),
              ),
              running ? h('div', { class: 'actions' }, mirrorGroup.button(repairs.resync(workflowId))) : null,
            ]
          : h('p', null, badge('Not checked', 'info'), ` ${v.mirror.error ?? 'The database copy could not be compared.'}`),
      mirrorGroup.area,
    );

    // Repairs of the whole workflow
    const repairsGroup = repairGroup();
    const reviewing = !!v.status?.startsWith('PENDED_');
    const buttons: Child[] = running
      ? [
          caseRec && reviewing ? repairsGroup.button(repairs.reassign(caseRec.caseNumber, caseRec.planId, caseRec.assignedTo)) : null,
          caseRec && v.status !== 'CLOSED' ? repairsGroup.button(repairs.cancel(caseRec.caseNumber)) : null,
          regRec && (v.status === 'PENDING_EMAIL' || v.waitingOn === 'PROVIDER_EMAIL') ? repairsGroup.button(repairs.accessKey(regRec.id)) : null,
          regRec && v.waitingOn === 'SUPPORT' ? h('a', { class: 'button primary', href: '/support/registrations' }, 'Decide the registration') : null,
          v.mirror.matches !== false ? repairsGroup.button(repairs.resync(workflowId)) : null,
          repairsGroup.button(repairs.terminate(workflowId)),
        ]
      : [];
    const repairSection = section(
      'Repairs',
      running ? h('div', { class: 'actions' }, ...buttons) : h('p', null, 'The workflow has closed: there is nothing left to repair in it. The database holds its last state.'),
      repairsGroup.area,
    );

    // The history in words
    const timeline = section(
      'Timeline',
      h('p', { class: 'muted' }, 'What happened, oldest first, from the workflow history.'),
      h('ol', { class: 'timeline' }, ...v.timeline.map((e) => h('li', null, h('time', { datetime: e.at }, dateTimeSeconds(e.at)), e.text))),
    );

    return [
      h('h1', null, name),
      h('p', { class: 'muted' }, `${RECORD_WORDS[v.recordType] ?? v.recordType} workflow. `, h('a', { href: '/support/workflows' }, 'Find another'), ' or go back to ', h('a', { href: '/support' }, 'stuck work'), '.'),
      summary,
      h('p', null, h('a', { href: v.webUiUrl, target: '_blank', rel: 'noopener noreferrer' }, 'Open it in the Temporal Web UI (opens in a new tab)')),
      problems,
      repairSection,
      mirror,
      activities,
      timers,
      emails,
      timeline,
    ];
  },
});
