import { get } from '../../api';
import { h } from '../../dom';
import { field } from '../../forms';
import { badge, dateTime } from '../../format';
import { navigate, page } from '../../router';
import type { AccessRole, Me } from '../../session';
import './review.css';

/**
 * The reviewers' work queues: the cases waiting on the signed-in role in the health plans they
 * work, soonest due first, with the plan filter and links to the other queues the role may see.
 */
export interface QueueItem {
  caseNumber: string;
  status: string;
  urgency: string;
  planId: string;
  dueAt: string;
  warned: boolean;
  breached: boolean;
  assignedTo: string | null;
}

type QueueId = 'nurse' | 'physician' | 'peer-to-peer' | 'supervisor';

const QUEUES: { id: QueueId; title: string; about: string; roles: AccessRole[] }[] = [
  { id: 'nurse', title: 'Nurse review', about: 'Cases waiting for a nurse to approve, ask the office for information, or send to a physician.', roles: ['NURSE', 'SUPERVISOR'] },
  { id: 'physician', title: 'Physician review', about: 'Cases a nurse escalated, or whose information request went unanswered: a physician approves, modifies, denies or offers a peer-to-peer call.', roles: ['PHYSICIAN', 'SUPERVISOR'] },
  { id: 'peer-to-peer', title: 'Peer-to-peer calls', about: 'Cases whose office proposed call windows: hold the call and record its outcome.', roles: ['PHYSICIAN', 'SUPERVISOR'] },
  { id: 'supervisor', title: 'Timeframe warnings', about: 'Undecided cases past 80% of their decision timeframe, or past their due time.', roles: ['SUPERVISOR'] },
];

/** Case states in the words a reviewer uses. */
export const REVIEW_STATUS: Record<string, string> = {
  PENDED_NURSE: 'Waiting for nurse review',
  PENDED_PHYSICIAN: 'Waiting for physician review',
  PENDED_OFFICE_INFO: 'Waiting for information from the office',
  PENDED_PEER_TO_PEER_WINDOWS: 'Peer-to-peer offered: waiting for the office to propose call windows',
  PENDED_PEER_TO_PEER_CALL: 'Peer-to-peer call to hold',
  DECIDED: 'Decided',
  CLOSED: 'Closed',
};

export const URGENCY: Record<string, string> = { STANDARD: 'Standard', URGENT: 'Urgent (expedited)' };

/** "in 2 h 5 min" or "3 d 4 h ago": how far a time is from now. */
export function fromNow(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(minutes / 1440);
  const hrs = Math.floor((minutes % 1440) / 60);
  const min = minutes % 60;
  const span = d ? `${d} d ${hrs} h` : hrs ? `${hrs} h ${min} min` : `${min} min`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** The due time of a case with its warning badges (words, not colour alone). */
export function dueBadges(o: { warned?: boolean; breached?: boolean }) {
  return [o.breached ? badge('Overdue', 'bad') : null, o.warned && !o.breached ? badge('Warned: 80% of the timeframe passed', 'wait') : null];
}

const planName = (user: Me, id: string) => user.healthPlans.find((p) => p.id === id)?.name ?? id;

page({
  path: '/review',
  title: 'Work queues',
  roles: ['NURSE', 'PHYSICIAN', 'SUPERVISOR'],
  render: async ({ query, user }) => {
    const me = user!;
    const mine = QUEUES.filter((q) => q.roles.includes(me.accessRole));
    const asked = query.get('queue');
    const queue = mine.find((q) => q.id === asked) ?? (asked ? undefined : mine[0]);
    const queueLinks = h(
      'nav',
      { 'aria-label': 'Your queues', class: 'rv-queue-links' },
      h('ul', null, ...mine.map((q) => h('li', null, h('a', { href: `/review?queue=${q.id}`, 'aria-current': q === queue ? 'page' : undefined }, q.title)))),
    );
    if (!queue) {
      return [
        h('h1', null, 'Work queues'),
        queueLinks,
        h('div', { class: 'problem-summary', role: 'alert' }, h('p', null, `There is no queue "${asked}" for your role (${me.accessRoleLabel}). Choose one of your queues above.`)),
      ];
    }

    const planId = query.get('planId') ?? '';
    const planKnown = !planId || me.healthPlans.some((p) => p.id === planId);
    const filterField = field({
      label: 'Health plan',
      name: 'planId',
      type: 'select',
      value: planKnown ? planId : '',
      choices: me.healthPlans.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` })),
      empty: 'All my plans',
    });
    const select = filterField.querySelector('select')!;
    const filter = h(
      'form',
      {
        class: 'filters',
        role: 'search',
        'aria-label': 'Filter the queue',
        onsubmit: (e: Event) => {
          e.preventDefault();
          navigate(`/review?queue=${queue.id}${select.value ? `&planId=${encodeURIComponent(select.value)}` : ''}`);
        },
      },
      filterField,
      h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Show')),
    );

    const heading = [h('h1', null, `${queue.title} queue`), h('p', { class: 'hint' }, queue.about), queueLinks, filter];
    if (!planKnown) {
      return [...heading, h('div', { class: 'problem-summary', role: 'alert' }, h('p', null, `You do not work health plan ${planId}. Choose one of your plans.`))];
    }
    const { cases } = await get<{ cases: QueueItem[] }>(`/api/review/queues/${queue.id}${planId ? `?planId=${encodeURIComponent(planId)}` : ''}`);
    const where = planId ? ` for ${planName(me, planId)}` : ' in your health plans';
    if (!cases.length) {
      return [...heading, h('p', { class: 'notice rv-empty' }, `No cases are waiting in the ${queue.title.toLowerCase()} queue${where}.`)];
    }
    const now = Date.now();
    return [
      ...heading,
      h('p', null, `${cases.length} ${cases.length === 1 ? 'case' : 'cases'}${where}, the soonest due first.`),
      h(
        'table',
        { class: 'rv-queue' },
        h('caption', { class: 'visually-hidden' }, `${queue.title} queue${where}, ordered by due time`),
        h('thead', null, h('tr', null, ...['Case', 'Status', 'Urgency', 'Health plan', 'Decision due', 'Claimed by'].map((t) => h('th', { scope: 'col' }, t)))),
        h(
          'tbody',
          null,
          ...cases.map((c) =>
            h(
              'tr',
              { 'data-case': c.caseNumber },
              h('td', null, h('a', { href: `/review/cases/${encodeURIComponent(c.caseNumber)}`, class: 'mono' }, c.caseNumber)),
              h('td', null, REVIEW_STATUS[c.status] ?? c.status),
              h('td', null, c.urgency === 'URGENT' ? badge(URGENCY.URGENT!, 'bad') : (URGENCY[c.urgency] ?? c.urgency)),
              h('td', null, planName(me, c.planId)),
              h('td', null, h('time', { datetime: c.dueAt }, dateTime(c.dueAt)), h('span', { class: 'rv-when' }, ` (${fromNow(c.dueAt, now)})`), ' ', ...dueBadges(c)),
              h('td', null, c.assignedTo ? (c.assignedTo === me.username ? 'You' : c.assignedTo) : h('span', { class: 'muted' }, 'Nobody yet')),
            ),
          ),
        ),
      ),
    ];
  },
});
