import { get } from '../../api';
import { h, show } from '../../dom';
import { field } from '../../forms';
import { badge, CASE_STATUS, date, dateTime } from '../../format';
import { page } from '../../router';

interface CaseRow {
  caseNumber: string;
  status: string;
  waitingOn: string;
  memberId: string;
  submittedAt: string;
  dueAt: string;
}

interface DraftRow {
  draftId: string;
  status: string;
  content: { memberId?: string; exams?: { procedureCode?: string }[] };
  updatedAt: string;
}

/** Which filter a case's status belongs to. */
const GROUPS: Record<string, { label: string; test: (c: CaseRow) => boolean }> = {
  all: { label: 'All requests', test: () => true },
  action: { label: 'Waiting for you', test: (c) => c.waitingOn === 'OFFICE' },
  review: { label: 'In clinical review', test: (c) => c.status.startsWith('PENDED') && c.waitingOn !== 'OFFICE' },
  decided: { label: 'Decided', test: (c) => c.status === 'DECIDED' },
  closed: { label: 'Closed', test: (c) => c.status === 'CLOSED' },
};

const tone = (c: CaseRow) => (c.waitingOn === 'OFFICE' ? 'wait' : c.status === 'DECIDED' ? 'ok' : c.status === 'CLOSED' ? 'info' : 'wait');
const words = (c: CaseRow) => (c.waitingOn === 'OFFICE' && c.status.startsWith('PENDED') ? CASE_STATUS.PENDED_OFFICE_INFO! : c.waitingOn === 'OFFICE' ? 'Approved: choose the servicing provider' : (CASE_STATUS[c.status] ?? c.status));

/** The office's requests: the cases of its TINs and plans (colleagues' too), filtered and searched, and its drafts. */
page({
  path: '/cases',
  title: 'Your requests',
  roles: ['PROVIDER'],
  render: async ({ query }) => {
    const [{ cases }, { drafts }] = await Promise.all([get<{ cases: CaseRow[] }>('/api/cases'), get<{ drafts: DraftRow[] }>('/api/drafts?status=OPEN')]);
    const results = h('div', { 'aria-live': 'polite' });
    const status = field({ label: 'Show', name: 'status', type: 'select', choices: Object.entries(GROUPS).map(([value, g]) => ({ value, label: g.label })), value: query.get('status') ?? 'all', empty: false, onchange: () => draw() });
    const search = field({ label: 'Search by case number or member id', name: 'q', type: 'search', value: query.get('q') ?? '', oninput: () => draw() });
    const statusSelect = status.querySelector('select')!;
    const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e: Event) => e.preventDefault() }, status, search);

    function draw() {
      const group = GROUPS[statusSelect.value] ?? GROUPS.all!;
      const q = search.querySelector('input')!.value.trim().toUpperCase();
      const rows = cases.filter((c) => group.test(c) && (!q || c.caseNumber.includes(q) || c.memberId.toUpperCase().includes(q)));
      const url = new URL(location.href);
      url.searchParams.set('status', statusSelect.value);
      if (q) url.searchParams.set('q', q);
      else url.searchParams.delete('q');
      history.replaceState(null, '', url);
      show(
        results,
        h('p', null, `${rows.length} of ${cases.length} request(s)`),
        rows.length
          ? h(
              'table',
              null,
              h('caption', { class: 'muted' }, group.label),
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Case'), h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Submitted'), h('th', { scope: 'col' }, 'Decision due'))),
              h(
                'tbody',
                null,
                ...rows.map((c) =>
                  h(
                    'tr',
                    null,
                    h('td', null, h('a', { href: `/cases/${c.caseNumber}` }, c.caseNumber)),
                    h('td', null, c.memberId),
                    h('td', null, badge(words(c), tone(c))),
                    h('td', null, dateTime(c.submittedAt)),
                    h('td', null, c.status.startsWith('PENDED') ? dateTime(c.dueAt) : ''),
                  ),
                ),
              ),
            )
          : h('p', { class: 'notice' }, cases.length ? 'No request matches: change the filter or the search.' : 'No requests yet.'),
      );
    }
    draw();

    return [
      h('h1', null, 'Your requests'),
      h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '/requests/new' }, 'New request')),
      drafts.length
        ? h(
            'section',
            { 'aria-labelledby': 'drafts-h' },
            h('h2', { id: 'drafts-h' }, 'Drafts not submitted yet'),
            h(
              'ul',
              null,
              ...drafts.map((d) =>
                h('li', null, h('a', { href: `/requests/${d.draftId}` }, `Request for member ${d.content.memberId || '(not entered)'}${d.content.exams?.length ? `, ${d.content.exams.map((e) => e.procedureCode || '?').join(', ')}` : ''}`), h('span', { class: 'muted' }, `, saved ${date(d.updatedAt)}`)),
              ),
            ),
          )
        : null,
      h('h2', null, 'Submitted requests'),
      filters,
      results,
    ];
  },
});
