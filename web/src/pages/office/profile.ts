import { ApiError, get, post } from '../../api';
import { h, show } from '../../dom';
import { choices, field, problemSummary, submitting, values } from '../../forms';
import { date } from '../../format';
import { page } from '../../router';
import { remember, type Me } from '../../session';

/**
 * The office's profile, and adding a health plan without registering again: the plans the
 * profile's TINs (or another TIN of the same organization) are contracted with.
 */
page({
  path: '/profile',
  title: 'Your profile',
  roles: ['PROVIDER'],
  render: async ({ user }) => {
    let me = user!;
    const root = h('div');

    async function offered(tins: string[]): Promise<{ id: string; name: string }[]> {
      const found = new Map<string, string>();
      for (const tin of tins) {
        try {
          for (const p of (await get<{ plans: { id: string; name: string }[] }>(`/api/roster/tins/${encodeURIComponent(tin)}/health-plans`)).plans) found.set(p.id, p.name);
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 404)) throw err;
        }
      }
      const have = new Set(me.healthPlans.map((p) => p.id));
      return [...found].filter(([id]) => !have.has(id)).map(([id, name]) => ({ id, name }));
    }

    async function draw(message?: string) {
      const plans = await offered(me.tins);
      const planBox = h(
        'div',
        { 'data-field': 'planIds' },
        plans.length
          ? choices({ legend: 'Health plans you can add', name: 'planIds', type: 'checkbox', options: plans.map((p) => ({ value: p.id, label: p.name })) })
          : h('p', { class: 'hint' }, 'Every plan associated with your TINs is on your profile. Enter another TIN of your organization to see its plans.'),
      );
      const form: HTMLFormElement = h(
        'form',
        {
          novalidate: true,
          onsubmit: (e: Event) => {
            e.preventDefault();
            const v = values(form) as { planIds?: string[]; tin?: string };
            const planIds = v.planIds ?? [];
            void submitting(form, form.querySelector('button[type=submit]'), async () => {
              me = await post<Me>('/api/me/health-plans', { planIds, tins: v.tin?.trim() ? [v.tin.trim()] : [] });
              remember(me);
              await draw(`Added: ${planIds.join(', ')}.`);
            });
          },
        },
        problemSummary(),
        planBox,
        field({
          label: 'Another TIN of your organization (optional)',
          name: 'tin',
          inputmode: 'numeric',
          hint: 'Its health plans are listed above when you leave the field',
          onchange: async (e: Event) => {
            const tin = (e.target as HTMLInputElement).value.trim();
            if (!/^\d{2}-?\d{7}$/.test(tin)) return;
            const extra = await offered([tin, ...me.tins]);
            show(planBox, extra.length ? choices({ legend: 'Health plans you can add', name: 'planIds', type: 'checkbox', options: extra.map((p) => ({ value: p.id, label: p.name })) }) : h('p', { class: 'hint' }, 'No other plans for that TIN.'));
          },
        }),
        h('button', { type: 'submit', class: 'primary' }, 'Add to my profile'),
      );
      show(
        root,
        message ? h('p', { class: 'notice', role: 'status' }, message) : null,
        h(
          'dl',
          { class: 'summary' },
          h('dt', null, 'Name'),
          h('dd', null, me.name),
          h('dt', null, 'Username'),
          h('dd', null, me.username),
          h('dt', null, 'Role'),
          h('dd', null, me.roleLabel ?? me.accessRoleLabel),
          h('dt', null, 'Email'),
          h('dd', null, me.email),
          h('dt', null, 'Organization'),
          h('dd', null, me.organization?.name ?? '', ...(me.organization?.addressLines ?? []).map((l) => [h('br'), l])),
          h('dt', null, 'Tax IDs (TINs)'),
          h('dd', null, me.tins.join(', ')),
          h('dt', null, 'Last sign-in'),
          h('dd', null, date(me.lastSignInAt)),
        ),
        h('h2', null, 'Your health plans'),
        h('ul', null, ...me.healthPlans.map((p) => h('li', null, `${p.name} (${p.id}), added ${date(p.addedAt)}`))),
        h('h2', null, 'Add a health plan'),
        form,
      );
    }
    await draw();
    return [h('h1', null, 'Your profile'), root];
  },
});
