import { get, post, type Problem } from '../../api';
import type { CaseExam as Exam, CaseView, Order, Stage } from '../../caseView';
import { h, show, uid, type Child } from '../../dom';
import { choices, field, problemSummary, showProblems, submitting, values } from '../../forms';
import { badge, dateTime, DECISION, EXAM_STATUS, examTone } from '../../format';
import { page } from '../../router';
import type { Me } from '../../session';
import { dueBadges, fromNow, URGENCY } from './queues';
import './review.css';

/**
 * One case as a reviewer works it: what the office asked for and answered, what the guideline
 * found, the case's history, and the decision forms of the signed-in role at the step the case
 * is at (the API and the workflow check both again). Support sees the same case, read only.
 */
type Answer = string | number | boolean;
interface RequestView {
  memberId?: string;
  orderingProviderNpi?: string;
  urgency?: string;
  dateOfService?: string;
  exams?: { procedureCode?: string; diagnosisCodes?: string[]; symptoms?: string; clinicalHistory?: string; answers?: Record<string, Answer>; requestedUnits?: number; servicingProviderNpi?: string }[];
}
interface Member {
  memberId: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  sex: string;
  healthPlan: { id: string; name: string };
  state: string;
}
interface Provider {
  npi: string;
  name: string;
  specialty: string;
  address: { line1: string; city: string; state: string; zip: string };
  phone: string;
}
interface Question {
  id: string;
  text: string;
  type: string;
  unit?: string;
  choices?: { value: string; label: string }[];
}
interface Guideline {
  id: string;
  version: number;
  title: string;
  questions: Question[];
}

const STAGE: Record<Stage, string> = {
  NURSE: 'Waiting for nurse review',
  PHYSICIAN: 'Waiting for physician review',
  OFFICE_INFO: 'Waiting for information from the office',
  PEER_TO_PEER_WINDOWS: 'Peer-to-peer offered: waiting for the office to propose call windows',
  PEER_TO_PEER_CALL: 'Peer-to-peer call to hold',
  DONE: 'Decided',
};
const WAITING_ON: Record<CaseView['waitingOn'], string> = {
  OFFICE: 'The ordering office',
  NURSE: 'A nurse reviewer',
  PHYSICIAN: 'A physician reviewer',
  PEER_TO_PEER: 'The peer-to-peer call',
  NOBODY: 'Nobody: nothing is waiting',
};
const OUTCOME: Record<Exam['outcome'], [string, 'ok' | 'bad' | 'wait']> = {
  MET: ['Meets the guideline criteria', 'ok'],
  NOT_MET: ['Does not meet the guideline criteria', 'bad'],
  NEEDS_REVIEW: ['Needs clinical review', 'wait'],
};
const P2P_OUTCOME = { OVERTURNED: 'Overturned: approved after the call', UPHELD: 'Upheld: denied after the call', NOT_REACHED: 'Not reached in the proposed windows' };
const ORDER_STATUS: Record<Order['status'], string> = { ACTIVE: 'Active', EXPIRED: 'Expired', SUPERSEDED: 'Superseded by an extension', CANCELLED: 'Cancelled' };
const MIN_REASON = 20;

const activeOrder = (e: Exam) => e.orders.find((o) => o.status === 'ACTIVE');
const guidelineRef = (e: Exam | undefined) => (e?.guideline ? `${e.guideline.id} v${e.guideline.version}` : '');
const examName = (e: Exam) => `Exam ${e.index + 1}: ${e.procedureCode} ${e.procedureDescription}`;
const actorWords = (a: string, me: Me) => (a === 'office' ? 'the office' : a === 'guideline' ? 'the guideline check' : a === 'system' ? 'the system' : a === me.username ? 'you' : a);
const dl = (rows: [string, Child][]) => h('dl', { class: 'summary' }, ...rows.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

/** A calendar date (YYYY-MM-DD) in words, as written: no time zone can move it to another day. */
function day(ymd: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ymd ?? '');
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).toLocaleDateString('en-US', { year: 'numeric', month: 'short', day: 'numeric' }) : (ymd ?? '');
}
/** +16175550100 as (617) 555-0100. */
const phone = (p: string) => p.replace(/^\+?1?(\d{3})(\d{3})(\d{4})$/, '($1) $2-$3');

function answerWords(q: Question | undefined, v: Answer): string {
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (q?.choices) return q.choices.find((c) => c.value === v)?.label ?? String(v);
  if (typeof v === 'number' && q?.unit) return `${v} ${q.unit}`;
  if (q?.type === 'date' && typeof v === 'string') return day(v);
  return String(v);
}

/** Loads what the case page shows besides the case: member, ordering provider, guideline questions, diagnosis names. */
async function context(data: { case: CaseView; request: RequestView }) {
  const req = data.request ?? {};
  const quiet = <T>(p: Promise<T>) => p.catch(() => null);
  const [member, provider] = await Promise.all([
    req.memberId ? quiet(get<Member>(`/api/members/${encodeURIComponent(req.memberId)}`)) : null,
    req.orderingProviderNpi
      ? quiet(get<{ providers: Provider[] }>(`/api/providers?q=${encodeURIComponent(req.orderingProviderNpi)}&kind=ORDERING_PHYSICIAN&limit=1`).then((r) => r.providers.find((p) => p.npi === req.orderingProviderNpi) ?? null))
      : null,
  ]);
  const planId = member?.healthPlan.id;
  const guidelines = await Promise.all(
    data.case.exams.map((e) => {
      const code = req.exams?.[e.index]?.procedureCode ?? e.procedureCode;
      if (!e.guideline || !planId || !req.dateOfService) return null;
      const q = new URLSearchParams({ procedureCode: code, planId, dateOfService: req.dateOfService });
      // The questions of the very guideline (id and version) the exam was evaluated with.
      return quiet(get<Guideline>(`/api/guidelines?${q}`).then((g) => (g.id === e.guideline!.id && g.version === e.guideline!.version ? g : null)));
    }),
  );
  const codes = [...new Set((req.exams ?? []).flatMap((x) => x.diagnosisCodes ?? []))];
  const diagnoses = new Map<string, string>();
  await Promise.all(
    codes.map((c) => quiet(get<{ display: string; description: string }>(`/api/codes/ICD10CM/${encodeURIComponent(c)}`).then((r) => void diagnoses.set(c, `${r.display} ${r.description}`)))),
  );
  return { member, provider, guidelines, diagnoses };
}

page({
  path: '/review/cases/:caseNumber',
  title: 'Case review',
  roles: ['NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT'],
  render: async ({ params, user }) => {
    const me = user!;
    const n = params.caseNumber!;
    const base = `/api/review/cases/${encodeURIComponent(n)}`;
    const data = await get<{ case: CaseView; request: RequestView; assignedTo: string | null }>(base);
    const req = data.request ?? {};
    const ctx = await context(data);
    let view = data.case;
    let assignedTo = data.assignedTo;
    const decides = me.accessRole === 'NURSE' || me.accessRole === 'PHYSICIAN';

    // A live region that stays while the case below is redrawn, so that its message is announced.
    const status = h('div', { class: 'rv-flash', role: 'status', 'aria-live': 'polite' });
    const body = h('div');
    const announce = (message: string) => {
      const p = h('p', { class: 'notice', tabindex: '-1' }, message);
      show(status, p);
      p.focus();
    };

    function draw() {
      show(body, summary(), claim(), people(), exams(), information(), peerToPeer(), decisions(), timeline());
    }

    function summary() {
      const state =
        view.status === 'PENDED' ? badge(STAGE[view.stage], 'wait') : view.status === 'DECIDED' ? badge('Decided', 'ok') : badge('Closed: nothing more happens on this case', 'info');
      return h(
        'section',
        { 'aria-labelledby': 'case-state' },
        h('h2', { id: 'case-state', class: 'visually-hidden' }, 'Case state'),
        me.accessRole === 'SUPPORT' ? h('p', { class: 'notice rv-read-only' }, 'You see this case read only: nurses and physicians decide it.') : null,
        dl([
          ['Status', state],
          ['Waiting on', WAITING_ON[view.waitingOn]],
          ['Urgency', URGENCY[req.urgency ?? ''] ?? req.urgency ?? ''],
          ['Submitted', dateTime(view.submittedAt)],
          [
            'Decision due',
            view.decidedAt
              ? [dateTime(view.dueAt), ` (decided ${dateTime(view.decidedAt)})`]
              : [h('time', { datetime: view.dueAt }, dateTime(view.dueAt)), ` (${fromNow(view.dueAt)}) `, ...dueBadges({ warned: !!view.warnedAt, breached: !!view.breachedAt })],
          ],
          ['Date of service', day(req.dateOfService)],
          ['Claimed by', assignedTo ? (assignedTo === me.username ? 'You' : assignedTo) : 'Nobody'],
        ]),
      );
    }

    function claim() {
      if (!decides || view.status !== 'PENDED') return null;
      const form: HTMLFormElement = h('form', { class: 'actions', novalidate: true, onsubmit: (e: Event) => e.preventDefault() }, problemSummary());
      const jump = h('a', { href: '#decide', class: 'rv-jump' }, 'Go to the decision');
      const act = (action: 'claim' | 'release') => (e: Event) =>
        submitting(form, e.currentTarget as HTMLButtonElement, async () => {
          const r = await post<{ assignedTo: string | null }>(`${base}/${action}`);
          assignedTo = r.assignedTo;
          draw();
          announce(action === 'claim' ? `You claimed case ${n}: it is yours to work until you release it.` : `You released case ${n}: any reviewer of the plan may claim it.`);
        });
      if (!assignedTo) form.append(h('button', { type: 'button', class: 'primary', onclick: act('claim') }, 'Claim this case'));
      else if (assignedTo === me.username) form.append(h('button', { type: 'button', onclick: act('release') }, 'Release this case'));
      else form.append(h('p', null, `${assignedTo} has claimed this case.`));
      form.append(jump);
      return form;
    }

    function people() {
      const m = ctx.member;
      const p = ctx.provider;
      return h(
        'section',
        { 'aria-labelledby': 'people' },
        h('h2', { id: 'people' }, 'Member and ordering provider'),
        dl([
          ['Member', m ? `${m.firstName} ${m.lastName} (member ID ${m.memberId})` : (req.memberId ?? '')],
          ['Date of birth', m ? day(m.birthDate) : ''],
          ['Health plan', m ? `${m.healthPlan.name} (${m.healthPlan.id})` : ''],
          ['Ordering provider', p ? `${p.name}, ${p.specialty} (NPI ${p.npi})` : req.orderingProviderNpi ? `NPI ${req.orderingProviderNpi}` : ''],
          ['Provider address', p ? `${p.address.line1}, ${p.address.city}, ${p.address.state} ${p.address.zip}; phone ${phone(p.phone)}` : ''],
        ]),
      );
    }

    function exams() {
      return h(
        'section',
        { 'aria-labelledby': 'exams' },
        h('h2', { id: 'exams' }, view.exams.length === 1 ? 'Exam' : `Exams (${view.exams.length})`),
        ...view.exams.map((e) => {
          const asked = req.exams?.[e.index] ?? {};
          const g = ctx.guidelines[e.index];
          const [outcome, tone] = OUTCOME[e.outcome];
          const answers = Object.entries(asked.answers ?? {});
          const decided = e.status !== 'PENDED';
          return h(
            'article',
            { class: 'card rv-exam', 'aria-labelledby': `exam-${e.index + 1}`, 'data-exam': e.index + 1 },
            h('h3', { id: `exam-${e.index + 1}` }, examName(e)),
            h('p', { class: 'rv-state' }, badge(EXAM_STATUS[e.status] ?? e.status, examTone(e.status)), `Decision: ${DECISION[e.decisionCode] ?? e.decisionCode}`),
            dl([
              ['Diagnoses', (asked.diagnosisCodes ?? []).length ? h('ul', { class: 'rv-reasons' }, ...(asked.diagnosisCodes ?? []).map((c) => h('li', null, ctx.diagnoses.get(c) ?? c))) : ''],
              ['Symptoms', asked.symptoms ?? ''],
              ['Clinical history', asked.clinicalHistory ?? ''],
              ['Servicing provider', e.servicingProviderNpi ? `${e.servicingProviderName ?? ''} (NPI ${e.servicingProviderNpi})` : 'Not chosen yet'],
              ['Units requested', e.requestedUnits ?? ''],
              ['Units approved', e.approvedUnits ?? ''],
              ['Decided by', e.decidedBy && decided ? `${actorWords(e.decidedBy, me)}, ${dateTime(e.decidedAt)}` : ''],
            ]),
            h('h4', null, 'Guideline result'),
            h('p', { class: 'rv-outcome' }, badge(outcome, tone), ' ', e.guideline ? `${g?.title ?? e.guideline.id} (guideline ${e.guideline.id}, version ${e.guideline.version})` : 'No guideline applies: a clinician reviews the exam'),
            e.reasons.length ? h('ul', { class: 'rv-reasons' }, ...e.reasons.map((r) => h('li', null, r))) : null,
            e.ruleIds.length ? h('p', { class: 'hint' }, `Deciding rules: ${e.ruleIds.join(', ')}`) : null,
            decided
              ? [
                  h('h4', null, 'Decision reasons'),
                  h('ul', { class: 'rv-reasons' }, ...e.decisionReasons.map((r) => h('li', null, r))),
                  e.guidelineReference ? h('p', null, `Guideline cited: ${e.guidelineReference}`) : null,
                ]
              : null,
            h('h4', null, 'Clinical answers'),
            answers.length
              ? h(
                  'table',
                  { class: 'rv-answers' },
                  h('caption', { class: 'visually-hidden' }, `The office's answers to the guideline questions for exam ${e.index + 1}`),
                  h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Question'), h('th', { scope: 'col' }, 'Answer'))),
                  h(
                    'tbody',
                    null,
                    ...answers.map(([id, v]) => {
                      const q = g?.questions.find((x) => x.id === id);
                      return h('tr', null, h('th', { scope: 'row' }, q?.text ?? id), h('td', null, answerWords(q, v)));
                    }),
                  ),
                )
              : h('p', { class: 'muted' }, 'The office answered no guideline questions.'),
            e.orders.length
              ? [
                  h('h4', null, 'Order numbers'),
                  h(
                    'table',
                    null,
                    h('thead', null, h('tr', null, ...['Order number', 'Status', 'Issued', 'Valid until'].map((t) => h('th', { scope: 'col' }, t)))),
                    h(
                      'tbody',
                      null,
                      ...e.orders.map((o) =>
                        h('tr', null, h('td', { class: 'order-number' }, o.number), h('td', null, badge(ORDER_STATUS[o.status], o.status === 'ACTIVE' ? 'ok' : 'info')), h('td', null, dateTime(o.issuedAt)), h('td', null, dateTime(o.expiresAt))),
                      ),
                    ),
                  ),
                ]
              : null,
          );
        }),
      );
    }

    function information() {
      const r = view.infoRequest;
      return h(
        'section',
        { 'aria-labelledby': 'info' },
        h('h2', { id: 'info' }, "The office's Additional Information"),
        view.additionalInformation.length
          ? h('ul', { class: 'timeline' }, ...view.additionalInformation.map((a) => h('li', null, h('time', { datetime: a.at }, dateTime(a.at)), h('p', { class: 'rv-additional' }, a.text))))
          : h('p', { class: 'muted' }, 'The office has added no Additional Information.'),
        r
          ? [
              h('h3', null, 'Information request'),
              dl([
                ['Asked for', r.message],
                ['Requested', dateTime(r.requestedAt)],
                ['Answer due', dateTime(r.dueAt)],
                ['Outcome', r.answeredAt ? `Answered ${dateTime(r.answeredAt)}` : r.timedOutAt ? `Not answered in time (${dateTime(r.timedOutAt)}): a physician reviews the case` : 'Waiting for the office'],
              ]),
            ]
          : null,
      );
    }

    function windowsList() {
      const w = view.peerToPeer?.windows ?? [];
      return w.length
        ? h('ul', { class: 'rv-windows' }, ...w.map((x) => h('li', null, `${dateTime(x.start)} to ${new Date(x.end).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' })}`)))
        : h('p', { class: 'muted' }, 'The office has not proposed call windows yet.');
    }

    function peerToPeer() {
      const p = view.peerToPeer;
      if (!p) return null;
      return h(
        'section',
        { 'aria-labelledby': 'p2p' },
        h('h2', { id: 'p2p' }, 'Peer-to-peer'),
        dl([
          ['Offered', dateTime(p.offeredAt)],
          ['Outcome', p.outcome ? P2P_OUTCOME[p.outcome] : 'Not held yet'],
        ]),
        h('h3', null, 'Call windows the office proposed'),
        windowsList(),
      );
    }

    function timeline() {
      return h(
        'section',
        { 'aria-labelledby': 'timeline' },
        h('h2', { id: 'timeline' }, 'Timeline'),
        h(
          'ol',
          { class: 'timeline' },
          ...view.events.map((e) => h('li', null, h('time', { datetime: e.at }, dateTime(e.at)), `${e.summary} `, h('span', { class: 'muted' }, `(by ${actorWords(e.actor, me)})`))),
        ),
      );
    }

    // ---- Decisions ------------------------------------------------------------------------

    const pended = () => view.exams.filter((e) => e.status === 'PENDED');
    const examOptions = () => pended().map((e) => ({ value: String(e.index + 1), label: examName(e) }));
    const examsChoice = (legend: string) => choices({ legend, name: 'exams', type: 'checkbox', options: examOptions(), value: examOptions().map((o) => o.value), required: true });
    const checkedExams = (form: HTMLElement) => [...form.querySelectorAll<HTMLInputElement>('input[name=exams]:checked')].map((i) => Number(i.value));
    const text = (v: Record<string, unknown>, k: string) => String(v[k] ?? '').trim();
    const need = (ok: boolean, field: string, message: string): Problem[] => (ok ? [] : [{ field, message }]);
    const reasonHint = `At least ${MIN_REASON} characters, specific and in plain language: the office reads it in the decision letter.`;

    const approvedWords = (v: CaseView, numbers: number[], code = 'A1') =>
      numbers
        .map((k) => {
          const e = v.exams[k - 1];
          const o = e && activeOrder(e);
          return o ? `Exam ${k} approved (${code}) with order number ${o.number}.` : `Exam ${k} approved (${code}): the office chooses the servicing provider to get the order number.`;
        })
        .join(' ');

    /** One decision as its own form: its fields, a check before sending, the request, and what to say afterwards. */
    function decisionForm(o: {
      title: string;
      hint?: string;
      fields: Child[];
      button: string;
      tone?: 'primary' | 'warning';
      endpoint: 'nurse-decision' | 'physician-decision' | 'peer-to-peer-outcome';
      build: (form: HTMLFormElement) => { body: Record<string, unknown>; problems: Problem[] };
      done: (v: CaseView, body: Record<string, unknown>) => string;
    }): HTMLFormElement {
      const id = uid('decision');
      const form: HTMLFormElement = h(
        'form',
        { class: 'card', novalidate: true, 'aria-labelledby': id, onsubmit: (e: Event) => (e.preventDefault(), void send()) },
        h('h3', { id }, o.title),
        o.hint ? h('p', { class: 'hint' }, o.hint) : null,
        problemSummary(),
        ...o.fields,
        h('button', { type: 'submit', class: o.tone ?? 'primary' }, o.button),
      );
      async function send() {
        const { body, problems } = o.build(form);
        if (showProblems(form, problems)) return;
        await submitting(form, form.querySelector('button[type=submit]'), async () => {
          view = await post<CaseView>(`${base}/${o.endpoint}`, body);
          draw();
          announce(o.done(view, body));
        });
      }
      return form;
    }

    const approveForm = (endpoint: 'nurse-decision' | 'physician-decision') =>
      decisionForm({
        title: 'Approve',
        hint: 'The approved exams get their order numbers at once when the servicing provider is known; the office is sent the decision letter.',
        endpoint,
        fields: [examsChoice('Exams to approve'), field({ label: 'Note for the decision letter (optional)', name: 'note', type: 'textarea', rows: 2, maxlength: 1000 })],
        button: 'Approve',
        build: (form) => {
          const exams = checkedExams(form);
          const note = text(values(form), 'note');
          return { body: { action: 'APPROVE', exams, ...(note ? { note } : {}) }, problems: need(exams.length > 0, 'exams', 'Choose the exams to approve') };
        },
        done: (v, b) => approvedWords(v, b.exams as number[]),
      });

    const examSelect = (label: string, onchange?: (e: Event) => void) =>
      field({ label, name: 'exam', type: 'select', choices: examOptions(), value: examOptions()[0]?.value, required: true, onchange });

    /** A denial's fields: the exam, the reason, and the guideline reference prefilled from the exam's guideline. */
    const denialFields = () => {
      const reference = field({ label: 'Guideline reference', name: 'guidelineReference', value: guidelineRef(pended()[0]), required: true, maxlength: 200, hint: 'The guideline and version the denial applies, such as IMG-LSPINE-MRI-NEBHP v1 (add the rule or section if it helps)' });
      const input = reference.querySelector('input')!;
      const exam = examSelect('Exam', (e) => {
        const chosen = view.exams[Number((e.target as HTMLSelectElement).value) - 1];
        const prefilled = view.exams.map((x) => guidelineRef(x));
        if (!input.value.trim() || prefilled.includes(input.value)) input.value = guidelineRef(chosen);
      });
      return [exam, field({ label: 'Reason for the denial', name: 'reason', type: 'textarea', rows: 4, maxlength: 2000, required: true, hint: reasonHint }), reference];
    };
    const denialBody = (form: HTMLFormElement) => {
      const v = values(form);
      const reason = text(v, 'reason');
      const guidelineReference = text(v, 'guidelineReference');
      return {
        body: { exam: Number(v.exam), reason, guidelineReference },
        problems: [
          ...need(!!v.exam, 'exam', 'Choose the exam'),
          ...need(reason.length >= MIN_REASON, 'reason', `Write a specific reason of at least ${MIN_REASON} characters that the office will read (this has ${reason.length})`),
          ...need(!!guidelineReference, 'guidelineReference', 'Cite the guideline the denial applies'),
        ],
      };
    };

    function nurseForms(): Child[] {
      return [
        approveForm('nurse-decision'),
        decisionForm({
          title: 'Ask the office for information',
          hint: 'The office is emailed your message; the case waits for their Additional Information, then comes back to the nurse queue (or goes to a physician if they do not answer in time).',
          endpoint: 'nurse-decision',
          fields: [field({ label: 'What the office should send', name: 'message', type: 'textarea', rows: 3, maxlength: 2000, required: true, hint: 'At least 10 characters, such as "Send the physical therapy notes of the last 8 weeks"' })],
          button: 'Send the information request',
          build: (form) => {
            const message = text(values(form), 'message');
            return { body: { action: 'REQUEST_INFO', message }, problems: need(message.length >= 10, 'message', 'Say what information the office should send (at least 10 characters)') };
          },
          done: (v) => `Information requested from the office: they were emailed, and the case waits for their answer until ${dateTime(v.infoRequest?.dueAt)}.`,
        }),
        decisionForm({
          title: 'Escalate to a physician',
          hint: 'A nurse never denies: a physician reviews the case and decides.',
          endpoint: 'nurse-decision',
          fields: [field({ label: 'Why the case goes to a physician', name: 'note', type: 'textarea', rows: 2, maxlength: 1000, required: true })],
          button: 'Escalate to a physician',
          tone: 'warning',
          build: (form) => {
            const note = text(values(form), 'note');
            return { body: { action: 'ESCALATE', note }, problems: need(note.length >= 5, 'note', 'Say why the case goes to a physician (at least 5 characters)') };
          },
          done: () => `Case ${n} escalated to a physician: it is in the physician review queue.`,
        }),
      ];
    }

    function physicianForms(): Child[] {
      return [
        approveForm('physician-decision'),
        decisionForm({
          title: 'Approve with changes (modify)',
          hint: 'Approve fewer units or a different procedure code of the same program (decision A6).',
          endpoint: 'physician-decision',
          fields: [
            examSelect('Exam'),
            field({ label: 'Units approved', name: 'approvedUnits', type: 'number', min: 1, step: 1, hint: `Fewer than the units requested${pended()[0]?.requestedUnits ? ` (exam ${pended()[0]!.index + 1}: ${pended()[0]!.requestedUnits})` : ''}; leave empty to keep them` }),
            field({ label: 'Procedure code approved instead', name: 'procedureCode', maxlength: 10, hint: 'Leave empty to keep the procedure requested' }),
            field({ label: 'Reason for the change', name: 'reason', type: 'textarea', rows: 3, maxlength: 2000, required: true, hint: reasonHint }),
          ],
          button: 'Approve with changes',
          build: (form) => {
            const v = values(form);
            const reason = text(v, 'reason');
            const procedureCode = text(v, 'procedureCode');
            const units = v.approvedUnits as number | undefined;
            return {
              body: { action: 'MODIFY', exam: Number(v.exam), ...(units !== undefined ? { approvedUnits: units } : {}), ...(procedureCode ? { procedureCode } : {}), reason },
              problems: [
                ...need(!!v.exam, 'exam', 'Choose the exam'),
                ...need(units !== undefined || !!procedureCode, 'approvedUnits', 'Change the units or the procedure code'),
                ...need(reason.length >= MIN_REASON, 'reason', `Write a specific reason of at least ${MIN_REASON} characters that the office will read (this has ${reason.length})`),
              ],
            };
          },
          done: (_v, b) => `Exam ${b.exam} approved with changes (A6): the office is sent the decision letter.`,
        }),
        decisionForm({
          title: 'Deny',
          hint: 'Decision A3: the office is sent the decision letter with your reason and the guideline cited.',
          endpoint: 'physician-decision',
          fields: denialFields(),
          button: 'Deny',
          tone: 'warning',
          build: (form) => {
            const d = denialBody(form);
            return { body: { action: 'DENY', ...d.body }, problems: d.problems };
          },
          done: (_v, b) => `Exam ${b.exam} denied (A3): the office is sent the decision letter with your reason.`,
        }),
        view.peerToPeer
          ? h('p', { class: 'muted' }, 'Peer-to-peer was already offered on this case.')
          : decisionForm({
              title: 'Offer a peer-to-peer call',
              hint: 'The office is asked to propose at least two call windows; the case then waits in the peer-to-peer queue.',
              endpoint: 'physician-decision',
              fields: [field({ label: 'What the call is about', name: 'message', type: 'textarea', rows: 2, maxlength: 1000, required: true })],
              button: 'Offer peer-to-peer',
              build: (form) => {
                const message = text(values(form), 'message');
                return { body: { action: 'OFFER_PEER_TO_PEER', message }, problems: need(message.length >= 5, 'message', 'Say what the call is about (at least 5 characters)') };
              },
              done: () => 'Peer-to-peer offered: the office is asked to propose call windows.',
            }),
      ];
    }

    function peerToPeerForms(): Child[] {
      return [
        h('h3', null, 'Call windows the office proposed'),
        windowsList(),
        decisionForm({
          title: 'Overturned: approve after the call',
          endpoint: 'peer-to-peer-outcome',
          fields: [examsChoice('Exams to approve'), field({ label: 'What was agreed on the call', name: 'note', type: 'textarea', rows: 2, maxlength: 1000, required: true })],
          button: 'Record: overturned',
          build: (form) => {
            const exams = checkedExams(form);
            const note = text(values(form), 'note');
            return { body: { outcome: 'OVERTURNED', exams, note }, problems: [...need(exams.length > 0, 'exams', 'Choose the exams to approve'), ...need(note.length >= 3, 'note', 'Say what was agreed on the call')] };
          },
          done: (v, b) => `Peer-to-peer recorded as overturned. ${approvedWords(v, b.exams as number[])}`,
        }),
        decisionForm({
          title: 'Upheld: deny after the call',
          endpoint: 'peer-to-peer-outcome',
          fields: denialFields(),
          button: 'Record: upheld',
          tone: 'warning',
          build: (form) => {
            const d = denialBody(form);
            return { body: { outcome: 'UPHELD', ...d.body }, problems: d.problems };
          },
          done: (_v, b) => `Peer-to-peer recorded as upheld: exam ${b.exam} denied (A3).`,
        }),
        decisionForm({
          title: 'Not reached in the proposed windows',
          hint: 'The peer-to-peer step closes and the case returns to physician review.',
          endpoint: 'peer-to-peer-outcome',
          fields: [field({ label: 'What happened', name: 'note', type: 'textarea', rows: 2, maxlength: 1000, required: true, hint: 'For example: called twice in each window, no answer' })],
          button: 'Record: not reached',
          build: (form) => {
            const note = text(values(form), 'note');
            return { body: { outcome: 'NOT_REACHED', note }, problems: need(note.length >= 3, 'note', 'Say what happened') };
          },
          done: () => 'Peer-to-peer recorded as not reached: the case is back in physician review.',
        }),
      ];
    }

    function decisions() {
      let content: Child;
      const open = pended().length > 0;
      if (me.accessRole === 'NURSE' && open && view.stage === 'NURSE') content = nurseForms();
      else if (me.accessRole === 'PHYSICIAN' && open && view.stage === 'PHYSICIAN') content = physicianForms();
      else if (me.accessRole === 'PHYSICIAN' && open && view.stage === 'PEER_TO_PEER_CALL') content = peerToPeerForms();
      else if (!open) content = h('p', null, 'No exam of this case is waiting for a decision.');
      else if (!decides) content = h('p', null, `${me.accessRoleLabel} staff see cases read only: nurses and physicians decide them. The case is at this step: ${STAGE[view.stage].toLowerCase()}.`);
      else content = h('p', null, `Nothing for a ${me.accessRole.toLowerCase()} to decide now: the case is at this step: ${STAGE[view.stage].toLowerCase()}.`);
      return h('section', { class: 'rv-decisions', 'aria-labelledby': 'decide' }, h('h2', { id: 'decide' }, 'Decision'), content);
    }

    draw();
    return [h('h1', null, `Case ${n}`), status, body];
  },
});
