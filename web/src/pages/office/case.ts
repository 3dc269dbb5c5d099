import { get, post } from '../../api';
import { activeOrder, type CaseExam, type CaseView } from '../../caseView';
import { h, show, type Child } from '../../dom';
import { field, problemSummary, submitting, values } from '../../forms';
import { badge, CASE_STATUS, DECISION, date, dateTime, EXAM_STATUS, examTone } from '../../format';
import { searchFacilities, searchField } from '../../pickers';
import { flash, navigate, page } from '../../router';

/** The case as the office sees it: the workflow's view, its next steps, and who and what it is for. */
interface OfficeCase extends CaseView {
  nextSteps: string[];
  request: {
    memberId: string;
    memberName: string | null;
    memberBirthDate: string | null;
    healthPlan: { id: string; name: string };
    orderingProvider: { npi: string; name: string | null };
    urgency: string;
    dateOfService: string | null;
  };
}

/** The Additional Information box's limit, counted as the server counts (characters, not UTF-16 units). */
const INFO_LIMIT = 2000;
const length = (s: string) => [...s].length;

const active = activeOrder;
const caseWords = (c: OfficeCase) => (c.status === 'PENDED' ? (CASE_STATUS[`PENDED_${c.stage}`] ?? CASE_STATUS.PENDED!) : (CASE_STATUS[c.status] ?? c.status));

/**
 * One request as the office follows it: each exam's decision with its reasons and order number,
 * what to do next, and the office's own actions: Additional Information (with a live count),
 * choosing or changing the servicing provider, extending an order, proposing peer-to-peer call
 * windows, cancelling. Each action answers with the case as it now is.
 */
page({
  path: '/cases/:caseNumber',
  title: 'Request',
  roles: ['PROVIDER'],
  render: async ({ params }) => {
    const root = h('div');
    let c = await get<OfficeCase>(`/api/cases/${encodeURIComponent(params.caseNumber!)}`);
    const base = `/api/cases/${encodeURIComponent(params.caseNumber!)}`;

    /** Runs an action, then shows the case as the workflow answered it. */
    const act = (form: HTMLFormElement, button: HTMLButtonElement | null, path: string, body: () => unknown, done: string) =>
      submitting(form, button, async () => {
        c = { ...(await post<OfficeCase>(`${base}/${path}`, body())), request: c.request };
        // The action's answer has no next steps: ask for the case as the office sees it.
        c = await get<OfficeCase>(base);
        draw(done);
      });

    function examCard(e: CaseExam): HTMLElement {
      const order = active(e);
      const last = e.orders[e.orders.length - 1];
      const actions: Child[] = [];
      if (e.status === 'APPROVED_AWAITING_PROVIDER' || (e.status === 'APPROVED' && order)) actions.push(providerForm(e));
      if (last && (last.status === 'ACTIVE' || last.status === 'EXPIRED') && e.status !== 'CANCELLED') {
        const f: HTMLFormElement = h('form', { novalidate: true, onsubmit: (ev: Event) => (ev.preventDefault(), void act(f, f.querySelector('button'), `exams/${e.index + 1}/extension`, () => ({}), `Exam ${e.index + 1}: a new order number was issued.`)) }, problemSummary(), h('button', { type: 'submit' }, `Extend the order of exam ${e.index + 1}`));
        actions.push(f);
      }
      return h(
        'section',
        { class: 'card', 'aria-labelledby': `exam-${e.index}` },
        h('h3', { id: `exam-${e.index}` }, `Exam ${e.index + 1}: ${e.procedureCode} ${e.procedureDescription}`),
        h('p', null, badge(EXAM_STATUS[e.status] ?? e.status, examTone(e.status)), ' ', h('span', { class: 'muted' }, `Decision ${DECISION[e.decisionCode] ?? e.decisionCode}`)),
        e.decisionReasons.length ? h('ul', null, ...e.decisionReasons.map((r) => h('li', null, r))) : null,
        e.guidelineReference ? h('p', null, `Guideline applied: ${e.guidelineReference}`) : null,
        e.approvedUnits !== undefined && e.requestedUnits !== undefined ? h('p', null, `Units approved: ${e.approvedUnits} of ${e.requestedUnits} requested`) : null,
        e.servicingProviderName ? h('p', null, `Servicing provider: ${e.servicingProviderName} (NPI ${e.servicingProviderNpi})`) : null,
        order
          ? h(
              'div',
              { class: 'notice' },
              h('p', null, 'Order number: ', h('span', { class: 'order-number' }, order.number)),
              h('p', null, `Valid until ${date(order.expiresAt)}. An order number does not guarantee payment.`),
              h('p', null, h('a', { href: `/cases/${c.caseNumber}/print`, target: '_blank' }, 'Print the order')),
            )
          : null,
        e.orders.filter((o) => o !== order).length
          ? h('p', { class: 'muted' }, 'Earlier order numbers: ', e.orders.filter((o) => o !== order).map((o) => `${o.number} (${o.status.toLowerCase()})`).join(', '))
          : null,
        ...actions,
      );
    }

    function providerForm(e: CaseExam): HTMLFormElement {
      const choosing = e.status === 'APPROVED_AWAITING_PROVIDER';
      const f: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (ev: Event) => (
            ev.preventDefault(),
            void act(f, f.querySelector('button[type=submit]'), `exams/${e.index + 1}/servicing-provider`, () => ({ npi: String(values(f).npi ?? '').trim() }), choosing ? `Exam ${e.index + 1}: the servicing provider is chosen and the order number issued.` : `Exam ${e.index + 1}: the servicing provider was changed.`)
          ),
        },
        problemSummary(),
        searchField({ label: choosing ? 'Choose the servicing provider' : 'Change the servicing provider', name: 'npi', hint: 'Type the facility\'s name or NPI; it must perform the exam and be in network', search: searchFacilities(c.request.healthPlan.id, e.modality), minLength: 3 }),
        h('button', { type: 'submit', class: choosing ? 'primary' : undefined }, choosing ? 'Choose and get the order number' : 'Change the provider'),
      );
      return f;
    }

    function infoForm(): HTMLFormElement {
      const counter = h('p', { class: 'counter', id: 'info-count', 'aria-live': 'polite' }, `${INFO_LIMIT} characters left`);
      const f: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            const text = String(values(f).text ?? '');
            void act(f, f.querySelector('button'), 'additional-information', () => ({ text }), 'Your Additional Information was added for the reviewer.');
          },
        },
        problemSummary(),
        field({
          label: 'Additional Information',
          name: 'text',
          type: 'textarea',
          rows: 6,
          hint: `Clinical detail specific to this request that the questions did not cover: concise, at most ${INFO_LIMIT} characters.`,
          oninput: (ev: Event) => {
            const n = length((ev.target as HTMLTextAreaElement).value);
            const left = INFO_LIMIT - n;
            counter.textContent = left >= 0 ? `${left} characters left` : `${-left} characters too many`;
            counter.classList.toggle('over', left < 0);
          },
        }),
        counter,
        h('button', { type: 'submit', class: 'primary' }, 'Add for the reviewer'),
      );
      f.querySelector('textarea')?.setAttribute('aria-describedby', `${f.querySelector('textarea')?.getAttribute('aria-describedby')} info-count`);
      return f;
    }

    function windowsForm(): HTMLFormElement {
      const rows = h('div');
      const addRow = () => {
        const n = rows.children.length + 1;
        rows.append(
          h(
            'fieldset',
            { class: 'card', 'data-field': `windows.${n - 1}` },
            h('legend', null, `Call window ${n}`),
            h('p', { class: 'error' }),
            field({ label: 'From', name: `windows.${n - 1}.start`, type: 'datetime-local', required: true }),
            field({ label: 'To', name: `windows.${n - 1}.end`, type: 'datetime-local', required: true }),
          ),
        );
      };
      addRow();
      addRow();
      const f: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            const windows = ((values(f).windows as { start: string; end: string }[]) ?? []).map((w) => ({ start: w.start ? new Date(w.start).toISOString() : '', end: w.end ? new Date(w.end).toISOString() : '' }));
            void act(f, f.querySelector('button[type=submit]'), 'peer-to-peer/windows', () => ({ windows }), 'Your call windows were sent to the physician reviewer.');
          },
        },
        problemSummary(),
        h('p', null, 'The ordering physician is offered a call with the physician reviewer. Propose at least two windows when the ordering physician can take it.'),
        h('div', { 'data-field': 'windows' }, h('p', { class: 'error' }), rows),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: addRow }, 'Add another window'), h('button', { type: 'submit', class: 'primary' }, 'Send the windows')),
      );
      return f;
    }

    function cancelForm(): HTMLElement {
      const f: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            const reason = String(values(f).reason ?? '');
            void act(f, f.querySelector('button'), 'cancel', () => ({ reason }), 'The request was cancelled.');
          },
        },
        problemSummary(),
        field({ label: 'Why is the request cancelled?', name: 'reason', required: true }),
        h('button', { type: 'submit', class: 'warning' }, 'Cancel the request'),
      );
      return h('details', { class: 'card' }, h('summary', null, 'Cancel this request'), f);
    }

    function draw(message?: string) {
      const pended = c.exams.some((e) => e.status === 'PENDED');
      const cancellable = c.exams.some((e) => e.status === 'PENDED' || e.status === 'APPROVED_AWAITING_PROVIDER' || (e.status === 'APPROVED' && active(e)));
      const r = c.request;
      show(
        root,
        message ? h('p', { class: 'notice', role: 'status' }, message) : null,
        h(
          'dl',
          { class: 'summary' },
          h('dt', null, 'Status'),
          h('dd', null, badge(caseWords(c), c.status === 'PENDED' ? 'wait' : c.status === 'DECIDED' ? 'ok' : 'info')),
          h('dt', null, 'Member'),
          h('dd', null, `${r.memberName ?? ''} (${r.memberId}), ${r.healthPlan.name}`),
          h('dt', null, 'Ordering physician'),
          h('dd', null, r.orderingProvider.name ?? r.orderingProvider.npi),
          h('dt', null, 'Submitted'),
          h('dd', null, dateTime(c.submittedAt), r.urgency === 'URGENT' ? ' (urgent)' : ''),
          pended ? [h('dt', null, 'Decision due'), h('dd', null, dateTime(c.dueAt))] : null,
        ),
        c.nextSteps.length ? h('section', { 'aria-labelledby': 'next-h' }, h('h2', { id: 'next-h' }, 'What to do next'), h('ul', null, ...c.nextSteps.map((s) => h('li', null, s)))) : null,
        c.infoRequest && !c.infoRequest.answeredAt && !c.infoRequest.timedOutAt ? h('div', { class: 'notice' }, h('p', null, h('strong', null, 'The reviewer asks: '), c.infoRequest.message), h('p', null, `Answer with Additional Information before ${dateTime(c.infoRequest.dueAt)}.`)) : null,
        h('h2', null, 'Exams'),
        ...c.exams.map(examCard),
        c.stage === 'PEER_TO_PEER_WINDOWS' && pended ? [h('h2', null, 'Peer-to-peer call'), windowsForm()] : null,
        c.peerToPeer?.windows?.length ? h('p', null, 'Proposed call windows: ', c.peerToPeer.windows.map((w) => `${dateTime(w.start)} to ${dateTime(w.end)}`).join('; ')) : null,
        pended ? [h('h2', null, 'Additional Information'), ...c.additionalInformation.map((a) => h('blockquote', { class: 'card' }, h('p', null, a.text), h('p', { class: 'muted' }, `Added ${dateTime(a.at)}`))), infoForm()] : null,
        cancellable ? cancelForm() : null,
        h('h2', null, 'History'),
        h('ol', { class: 'timeline' }, ...c.events.map((e) => h('li', null, h('time', { datetime: e.at }, dateTime(e.at)), e.summary))),
      );
    }

    draw();
    return [h('h1', null, `Case ${c.caseNumber}`), root, h('p', null, h('a', { href: '/cases' }, 'Back to your requests'))];
  },
});

/** The order number as the office prints it for the patient's chart and the servicing provider. */
page({
  path: '/cases/:caseNumber/print',
  title: 'Order',
  roles: ['PROVIDER'],
  render: async ({ params }) => {
    const c = await get<OfficeCase>(`/api/cases/${encodeURIComponent(params.caseNumber!)}`);
    const approved = c.exams.filter((e) => active(e));
    if (!approved.length) {
      flash('This case has no active order number to print.');
      navigate(`/cases/${c.caseNumber}`, { replace: true });
      return [];
    }
    const r = c.request;
    return [
      h('h1', null, 'Prior authorization order'),
      h(
        'dl',
        { class: 'summary' },
        h('dt', null, 'Case'),
        h('dd', null, c.caseNumber),
        h('dt', null, 'Health plan'),
        h('dd', null, r.healthPlan.name),
        h('dt', null, 'Member'),
        h('dd', null, `${r.memberName ?? ''}, member id ${r.memberId}${r.memberBirthDate ? `, born ${r.memberBirthDate}` : ''}`),
        h('dt', null, 'Ordering physician'),
        h('dd', null, `${r.orderingProvider.name ?? ''} (NPI ${r.orderingProvider.npi})`),
        r.dateOfService ? [h('dt', null, 'Date of service'), h('dd', null, r.dateOfService)] : null,
      ),
      ...approved.map((e) => {
        const o = active(e)!;
        return h(
          'section',
          { class: 'card' },
          h('h2', null, `${e.procedureCode} ${e.procedureDescription}`),
          h('p', null, 'Order number: ', h('span', { class: 'order-number' }, o.number)),
          h('dl', { class: 'summary' }, h('dt', null, 'Issued'), h('dd', null, date(o.issuedAt)), h('dt', null, 'Valid until'), h('dd', null, date(o.expiresAt)), h('dt', null, 'Servicing provider'), h('dd', null, `${e.servicingProviderName ?? ''} (NPI ${e.servicingProviderNpi ?? ''})`), e.approvedUnits !== undefined ? [h('dt', null, 'Units approved'), h('dd', null, String(e.approvedUnits))] : null),
        );
      }),
      h('p', null, 'An order number is not a guarantee of payment. The claim is processed under the terms of the member\'s benefit plan. The order number does not need to be included on the claim.'),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, 'Print'), h('a', { href: `/cases/${c.caseNumber}` }, 'Back to the case')),
    ];
  },
});
