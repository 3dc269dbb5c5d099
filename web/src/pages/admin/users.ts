import { ApiError, get, patch, post } from '../../api';
import { h, show, type Child } from '../../dom';
import { choices, field, problemSummary, showProblems, submitting, values } from '../../forms';
import { badge, dateTime } from '../../format';
import { flash, navigate, page } from '../../router';
import type { AccessRole } from '../../session';
import './admin.css';

/**
 * Administrators' accounts: find any account (offices and staff), create staff accounts (the
 * API emails the invitation), and for one account change a staff member's role and plans, send
 * a new invitation, disable, enable, unlock and reset the authenticator app, each with a reason
 * that the audit log keeps. The API decides every rule; its problems are shown beside the fields.
 */
interface Account {
  userId: string;
  username: string | null;
  email: string | null;
  name: string;
  accessRole: AccessRole;
  accessRoleLabel: string;
  status: 'PENDING_EMAIL' | 'PENDING_ACTIVATION' | 'ACTIVE' | 'REJECTED' | 'EXPIRED';
  state: string;
  planIds: string[];
  tins: string[];
  mfaEnrolled: boolean;
  disabledReason: string | null;
  lockedUntil: string | null;
  inactivityLocked: boolean;
  createdBy: string | null;
  registeredAt: string;
  lastSignInAt: string | null;
}

interface HealthPlan {
  id: string;
  name: string;
}

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  actorName: string | null;
  action: string;
  details: unknown;
}

const ROLE_LABELS: Record<AccessRole, string> = {
  PROVIDER: 'Provider office user',
  NURSE: 'Nurse reviewer',
  PHYSICIAN: 'Physician reviewer',
  SUPERVISOR: 'Clinical supervisor',
  SUPPORT: 'Support staff',
  ADMIN: 'Administrator',
};
const STAFF_ROLES: AccessRole[] = ['NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT', 'ADMIN'];
const PLAN_SCOPED: AccessRole[] = ['NURSE', 'PHYSICIAN', 'SUPERVISOR'];
const isStaff = (role: AccessRole) => role !== 'PROVIDER';

const STATUS_LABELS: Record<Account['status'], string> = {
  PENDING_EMAIL: 'Invited, or email not confirmed',
  PENDING_ACTIVATION: 'Waiting for verification',
  ACTIVE: 'Active',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
};

const PLANS_HINT = 'Nurses, physicians and supervisors work the plans checked here (at least one). Support staff and administrators serve every plan: leave them all unchecked.';
const REASON_HINT = 'Kept in the audit log: at least 5 characters';

/** The API's state in words, as a badge (its first words) and the rest; a date-time as people read it. */
function stateOf(a: Account): HTMLElement {
  const words = a.state.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, (iso) => dateTime(iso));
  const colon = words.indexOf(': ');
  const [head, detail] = colon >= 0 ? [words.slice(0, colon), words.slice(colon + 2)] : words.startsWith('locked ') ? ['locked', words.slice(7)] : [words, ''];
  const tone = head === 'active' ? 'ok' : head === 'disabled' || head === 'locked' ? 'bad' : head === 'invited' || head === 'registered' ? 'wait' : 'info';
  return h('span', { class: 'admin-state' }, badge(head, tone), detail ? h('span', { class: 'admin-state-detail' }, detail) : null);
}

/** Text that may wrap after an "@" and before a "." or "_" (long usernames and email addresses in a table). */
const breakable = (text: string): Child[] => text.split(/(?<=@)|(?=[._])/).flatMap((part, i) => (i ? [h('wbr'), part] : [part]));

function plansOf(a: Account): string {
  if (a.planIds.length) return a.planIds.join(', ');
  if (isStaff(a.accessRole) && !PLAN_SCOPED.includes(a.accessRole)) return 'Every plan';
  return 'None';
}

const filterSelect = (label: string, name: string, options: { value: string; label: string }[], value: string | null, empty: string): HTMLDivElement =>
  field({ label, name, type: 'select', choices: options, value, empty });

const checkedPlans = (form: HTMLElement) => [...form.querySelectorAll<HTMLInputElement>('input[name="planIds"]:checked')].map((i) => i.value);

const planChoices = (plans: HealthPlan[], value: string[] = []) =>
  choices({ legend: 'Health plans', name: 'planIds', type: 'checkbox', hint: PLANS_HINT, options: plans.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` })), value });

page({
  path: '/admin/users',
  title: 'Accounts',
  roles: ['ADMIN'],
  render: async ({ query }) => {
    const { healthPlans: plans } = await get<{ healthPlans: HealthPlan[] }>('/api/health-plans');

    // ---- Filters: they live in the address, so a filtered list can be bookmarked and reloaded.
    const filters: HTMLFormElement = h(
      'form',
      {
        novalidate: true,
        role: 'search',
        'aria-label': 'Find accounts',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = values(filters) as Record<string, string>;
          const q = (v.q ?? '').trim();
          if (showProblems(filters, q.length === 1 ? [{ field: 'q', message: 'Enter at least 2 characters to search, or leave the search empty' }] : [])) return;
          const params = new URLSearchParams();
          for (const name of ['accessRole', 'status', 'disabled']) if (v[name]) params.set(name, v[name]!);
          if (q) params.set('q', q);
          if (v.limit && v.limit !== '50') params.set('limit', v.limit);
          navigate(`/admin/users${params.size ? `?${params}` : ''}`);
        },
      },
      problemSummary(),
      h(
        'div',
        { class: 'filters' },
        field({ label: 'Name, username or email', name: 'q', type: 'search', value: query.get('q'), autocomplete: 'off' }),
        filterSelect('Role', 'accessRole', (Object.keys(ROLE_LABELS) as AccessRole[]).map((r) => ({ value: r, label: ROLE_LABELS[r] })), query.get('accessRole'), 'Any role'),
        filterSelect('Status', 'status', (Object.keys(STATUS_LABELS) as Account['status'][]).map((s) => ({ value: s, label: STATUS_LABELS[s] })), query.get('status'), 'Any status'),
        filterSelect('Disabled', 'disabled', [{ value: 'true', label: 'Disabled only' }, { value: 'false', label: 'Not disabled' }], query.get('disabled'), 'Disabled or not'),
        (() => {
          const f = field({ label: 'Show up to', name: 'limit', type: 'select', choices: ['50', '100', '200'].map((n) => ({ value: n, label: `${n} accounts` })), value: query.get('limit') ?? '50' });
          f.querySelector('option[value=""]')?.remove();
          return f;
        })(),
      ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Find accounts'), query.size ? h('a', { href: '/admin/users' }, 'Clear the filters') : null),
    );

    // ---- The list.
    const results = h('div', { class: 'admin-results' });
    async function loadList(): Promise<void> {
      const params = new URLSearchParams();
      for (const name of ['accessRole', 'status', 'disabled', 'q', 'limit']) {
        const v = query.get(name);
        if (v) params.set(name, v);
      }
      let users: Account[];
      try {
        ({ users } = await get<{ users: Account[] }>(`/api/admin/users${params.size ? `?${params}` : ''}`));
      } catch (err) {
        if (!(err instanceof ApiError) || err.status !== 400) throw err;
        showProblems(filters, err.problems.length ? err.problems : [{ field: '', message: err.message }]);
        show(results, h('p', null, 'Change the filters above to list accounts.'));
        return;
      }
      const limit = Number(query.get('limit') ?? 50);
      show(
        results,
        h('p', { class: 'counter', role: 'status' }, users.length === 0 ? 'No accounts match these filters.' : users.length >= limit ? `The newest ${users.length} accounts that match: narrow the filters or show more.` : `${users.length} ${users.length === 1 ? 'account matches' : 'accounts match'}.`),
        users.length
          ? h(
              'table',
              { class: 'admin-accounts' },
              h('caption', { class: 'admin-caption' }, 'Accounts, newest first'),
              h('thead', null, h('tr', null, ...['Name', 'Username', 'Email', 'Role', 'State', 'Plans', 'Last sign-in'].map((t) => h('th', { scope: 'col' }, t)))),
              h(
                'tbody',
                null,
                ...users.map((u) =>
                  h(
                    'tr',
                    null,
                    h('th', { scope: 'row' }, h('a', { href: `/admin/users/${encodeURIComponent(u.userId)}` }, u.name)),
                    h('td', { class: 'admin-wrap' }, breakable(u.username ?? '')),
                    h('td', { class: 'admin-wrap' }, breakable(u.email ?? '')),
                    h('td', null, ROLE_LABELS[u.accessRole]),
                    h('td', null, stateOf(u)),
                    h('td', null, plansOf(u)),
                    h('td', null, u.lastSignInAt ? dateTime(u.lastSignInAt) : 'Never'),
                  ),
                ),
              ),
            )
          : null,
      );
    }
    await loadList();

    // ---- Creating a staff account.
    const created = h('div', { role: 'status', class: 'admin-created', tabindex: '-1' });
    const createForm: HTMLFormElement = h(
      'form',
      {
        novalidate: true,
        'aria-labelledby': 'create-heading',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = values(createForm) as Record<string, string>;
          const body = { firstName: v.firstName, lastName: v.lastName, email: v.email, username: v.username, accessRole: v.accessRole || undefined, planIds: checkedPlans(createForm) };
          show(created);
          void submitting(createForm, createForm.querySelector('button[type=submit]'), async () => {
            const r = await post<Account & { message: string }>('/api/admin/staff', body);
            createForm.reset();
            show(created, h('div', { class: 'notice' }, h('p', null, `The account of ${r.name} (${r.accessRoleLabel}) is created. ${r.message}`), h('p', null, h('a', { href: `/admin/users/${encodeURIComponent(r.userId)}` }, `Open the account of ${r.name}`))));
            created.focus();
            await loadList();
          });
        },
      },
      problemSummary(),
      field({ label: 'First name', name: 'firstName', required: true, autocomplete: 'off' }),
      field({ label: 'Last name', name: 'lastName', required: true, autocomplete: 'off' }),
      field({ label: 'Email address', name: 'email', type: 'email', required: true, autocomplete: 'off', hint: 'The invitation to choose a password goes to this address' }),
      field({ label: 'Username', name: 'username', required: true, autocomplete: 'off', hint: '4 to 64 letters, digits, periods, underscores or hyphens, starting with a letter' }),
      field({ label: 'Role', name: 'accessRole', type: 'select', required: true, choices: STAFF_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })) }),
      planChoices(plans),
      h('button', { type: 'submit', class: 'primary' }, 'Create the account and email the invitation'),
    );

    return [
      h('h1', null, 'Accounts'),
      h('p', null, 'Offices and staff, newest first. Open an account to change it. ', h('a', { href: '#create-heading' }, 'Create a staff account'), '.'),
      filters,
      results,
      h('section', { class: 'narrow', 'aria-labelledby': 'create-heading' }, h('h2', { id: 'create-heading', tabindex: '-1' }, 'Create a staff account'), h('p', null, 'The person gets an email with a link to choose their password; their first sign-in sets up an authenticator app.'), created, createForm),
    ];
  },
});

const ACTIONS: Record<string, string> = {
  'staff.created': 'Staff account created',
  'staff.changed': 'Role or plans changed',
  'account.invitation_sent': 'Invitation emailed',
  'account.activated': 'Account activated',
  'account.disabled': 'Account disabled',
  'account.enabled': 'Account enabled',
  'account.unlocked': 'Lock lifted',
  'mfa.reset': 'Authenticator app reset',
  'mfa.enrolled': 'Authenticator app set up',
  'password.set': 'Password set',
  'session.signed_in': 'Signed in',
  'session.locked': 'Locked after failed sign-ins',
  'session.inactivity_locked': 'Locked for inactivity',
};

function detailsOf(e: AuditEvent): string {
  const d = (e.details ?? {}) as Record<string, any>;
  if (e.action === 'staff.changed' && d.accessRole && d.planIds) {
    const list = (ids: string[]) => (ids.length ? ids.join(', ') : 'none');
    return `role ${ROLE_LABELS[d.accessRole.from as AccessRole] ?? d.accessRole.from} to ${ROLE_LABELS[d.accessRole.to as AccessRole] ?? d.accessRole.to}; plans ${list(d.planIds.from)} to ${list(d.planIds.to)}`;
  }
  if (e.action === 'staff.created' && d.accessRole) return `${ROLE_LABELS[d.accessRole as AccessRole] ?? d.accessRole}${d.planIds?.length ? ` for ${d.planIds.join(', ')}` : ''}`;
  return typeof d.reason === 'string' ? d.reason : '';
}

page({
  path: '/admin/users/:userId',
  title: 'Account',
  roles: ['ADMIN'],
  render: async ({ params, user }) => {
    const [a, { healthPlans: plans }] = await Promise.all([get<Account>(`/api/admin/users/${encodeURIComponent(params.userId!)}`), get<{ healthPlans: HealthPlan[] }>('/api/health-plans')]);
    const here = `/admin/users/${encodeURIComponent(a.userId)}`;
    const staff = isStaff(a.accessRole);
    const own = user?.userId === a.userId;
    const planName = (id: string) => plans.find((p) => p.id === id)?.name ?? id;
    const disabled = a.state.startsWith('disabled');
    const locked = !!a.lockedUntil || a.inactivityLocked;

    const summary = h(
      'dl',
      { class: 'summary' },
      h('dt', null, 'Username'),
      h('dd', null, a.username ?? ''),
      h('dt', null, 'Email address'),
      h('dd', null, a.email ?? ''),
      h('dt', null, 'Role'),
      h('dd', null, ROLE_LABELS[a.accessRole]),
      h('dt', null, 'State'),
      h('dd', null, stateOf(a)),
      h('dt', null, 'Health plans'),
      h('dd', null, a.planIds.length ? a.planIds.map((id) => `${planName(id)} (${id})`).join(', ') : plansOf(a)),
      a.tins.length ? [h('dt', null, 'TINs'), h('dd', null, a.tins.join(', '))] : null,
      h('dt', null, 'Authenticator app'),
      h('dd', null, a.mfaEnrolled ? 'Set up' : 'Not set up: the next sign-in sets one up'),
      h('dt', null, 'Created by'),
      h('dd', null, a.createdBy ?? (staff ? 'Unknown' : 'The office registered itself')),
      h('dt', null, staff ? 'Created' : 'Registered'),
      h('dd', null, dateTime(a.registeredAt)),
      h('dt', null, 'Last sign-in'),
      h('dd', null, a.lastSignInAt ? dateTime(a.lastSignInAt) : 'Never'),
    );

    /** A form that posts `{reason}` to one of the account actions, then shows the account again. */
    const reasonForm = (o: { action: string; heading: string; text: string; label: string; button: string; tone?: 'primary' | 'warning'; done: string }) => {
      const form: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (e: Event) => {
            e.preventDefault();
            const { reason } = values(form) as { reason: string };
            void submitting(form, form.querySelector('button'), async () => {
              await post<Account>(`/api/admin/users/${encodeURIComponent(a.userId)}/${o.action}`, { reason });
              flash(o.done);
              navigate(here, { replace: true });
            });
          },
        },
        problemSummary(),
        field({ label: o.label, name: 'reason', required: true, hint: REASON_HINT, maxlength: 500 }),
        h('button', { type: 'submit', class: o.tone }, o.button),
      );
      return h('section', { class: 'card' }, h('h3', null, o.heading), h('p', null, o.text), form);
    };

    const content: Child[] = [
      h('h1', null, a.name),
      h('p', null, h('a', { href: '/admin/users' }, 'All accounts')),
      own ? h('p', { class: 'notice' }, 'This is your own account: another administrator changes its role or disables it.') : null,
      summary,
    ];

    if (staff) {
      const roleForm: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          'aria-labelledby': 'role-heading',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const { accessRole } = values(roleForm) as { accessRole: string };
            void submitting(roleForm, roleForm.querySelector('button[type=submit]'), async () => {
              const r = await patch<Account>(`/api/admin/staff/${encodeURIComponent(a.userId)}`, { accessRole: accessRole || undefined, planIds: checkedPlans(roleForm) });
              flash(`Saved: ${r.name} is ${/^[AEIOU]/.test(ROLE_LABELS[r.accessRole]) ? 'an' : 'a'} ${ROLE_LABELS[r.accessRole].toLowerCase()}, ${r.planIds.length ? `for ${r.planIds.join(', ')}` : 'for every plan'}, from their next request.`);
              navigate(here, { replace: true });
            });
          },
        },
        problemSummary(),
        field({ label: 'Role', name: 'accessRole', type: 'select', required: true, choices: STAFF_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })), value: a.accessRole }),
        planChoices(plans, a.planIds),
        h('button', { type: 'submit', class: 'primary' }, 'Save the role and plans'),
      );
      content.push(h('section', { class: 'narrow' }, h('h2', { id: 'role-heading' }, 'Role and health plans'), h('p', null, 'A change applies at the person\u2019s next request.'), roleForm));
    } else {
      content.push(h('p', null, 'This is a provider office account: the office chooses its own health plans and TINs. A disabled office registers again to use the portal.'));
    }

    if (staff && a.status === 'PENDING_EMAIL' && !disabled) {
      const sent = h('div', { role: 'status' });
      const inviteForm: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (e: Event) => {
            e.preventDefault();
            show(sent);
            void submitting(inviteForm, inviteForm.querySelector('button'), async () => {
              const r = await post<{ message: string }>(`/api/admin/staff/${encodeURIComponent(a.userId)}/invitation`);
              show(sent, h('p', { class: 'notice' }, r.message));
            });
          },
        },
        problemSummary(),
        h('button', { type: 'submit' }, 'Send a new invitation'),
      );
      content.push(h('section', null, h('h2', null, 'Invitation'), h('p', null, `${a.name} has not chosen a password yet. A new invitation replaces the older link, which stops working.`), inviteForm, sent));
    }

    const actions: HTMLElement[] = [];
    if (!disabled) {
      actions.push(
        reasonForm({
          action: 'disable',
          heading: 'Disable the account',
          text: staff ? 'Every session of the account ends at once, and nobody can sign in with it until an administrator enables it again.' : 'Every session of the office user ends at once. A disabled office cannot be enabled again: it registers again to use the portal.',
          label: 'Reason for disabling',
          button: 'Disable the account',
          tone: 'warning',
          done: `${a.name}\u2019s account is disabled.`,
        }),
      );
    }
    if (disabled && staff) {
      actions.push(reasonForm({ action: 'enable', heading: 'Enable the account', text: `Disabled: ${a.disabledReason ?? 'no reason given'}. Enabled, the account signs in again with its password and authenticator app.`, label: 'Reason for enabling', button: 'Enable the account', tone: 'primary', done: `${a.name}\u2019s account is enabled again.` }));
    }
    if (locked) {
      actions.push(
        reasonForm({
          action: 'unlock',
          heading: 'Lift the lock',
          text: a.lockedUntil ? `The account is locked after failed sign-ins until ${dateTime(a.lockedUntil)}.` : 'The account is locked because it was not used for a long time.',
          label: 'Reason for unlocking',
          button: 'Unlock the account',
          done: `${a.name}\u2019s account is unlocked.`,
        }),
      );
    }
    if (a.mfaEnrolled) {
      actions.push(reasonForm({ action: 'mfa-reset', heading: 'Reset the authenticator app', text: 'For a lost or replaced phone: every session ends, and the next sign-in sets up a new app.', label: 'Reason for the reset', button: 'Reset the authenticator app', done: `${a.name}\u2019s authenticator app is reset: the next sign-in sets up a new one.` }));
    }
    content.push(h('section', { class: 'admin-actions' }, h('h2', null, 'Account actions'), actions.length ? actions : h('p', null, 'There is nothing to do for this account in its state.')));

    // The account's recent history, from the audit log.
    let history: Child;
    try {
      const { events } = await get<{ events: AuditEvent[] }>(`/api/support/audit?subjectId=${encodeURIComponent(a.userId)}&limit=20`);
      history = events.length
        ? h(
            'table',
            null,
            h('caption', { class: 'admin-caption' }, 'Its latest events (at most 20), newest first'),
            h('thead', null, h('tr', null, ...['When', 'What', 'By', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
            h('tbody', null, ...events.map((e) => h('tr', null, h('td', null, dateTime(e.at)), h('td', null, ACTIONS[e.action] ?? e.action), h('td', null, e.actorName ?? e.actor), h('td', null, detailsOf(e))))),
          )
        : h('p', null, 'Nothing recorded yet.');
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      history = h('p', null, `The history cannot be shown now: ${err.message}`);
    }
    content.push(h('section', null, h('h2', null, 'Recent history'), history));
    return content;
  },
});
