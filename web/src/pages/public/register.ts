import { ApiError, get, post, type Problem } from '../../api';
import { h, show } from '../../dom';
import { choices, field, problemSummary, showProblems, submitting, values } from '../../forms';
import { navigate, page } from '../../router';

interface Options {
  roles: { id: string; label: string }[];
  securityQuestions: { id: string; text: string }[];
  securityAnswersRequired: number;
  programs: { id: string; label: string }[];
  states: string[];
  termsVersion: string;
}

const SECTIONS = [
  { key: 'user', title: '1. User details' },
  { key: 'login', title: '2. Login information' },
  { key: 'application', title: '3. Application selection' },
  { key: 'terms', title: '4. Terms of service' },
] as const;

/**
 * Registration in the seeds' four sections, one at a time: each section is checked by the
 * server (the same validation as submitting) before the next, then a review page with edit
 * and print, then submit. Every problem is shown beside its field.
 */
page({
  path: '/register',
  title: 'Register your office',
  roles: 'public',
  render: async () => {
    const options = await get<Options>('/api/registration-options');
    const summary = problemSummary();
    const steps = h('ol', { class: 'steps', 'aria-label': 'Registration sections' }, ...SECTIONS.map((s) => h('li', null, s.title)), h('li', null, 'Review'));
    const body = h('div');
    const form: HTMLFormElement = h('form', { novalidate: true, onsubmit: (e: Event) => e.preventDefault() }, summary, body);
    const data: Record<string, unknown> = {};
    let current = 0;

    const plansBox = h('div', { 'data-field': 'application.planIds' });
    const tinList = h('div', { class: 'tins' });
    const tinRow = (value = '') => {
      const i = tinList.children.length;
      const row = h(
        'div',
        { class: 'tin-row' },
        field({ label: `Tax ID (TIN) ${i + 1}`, name: `application.tins.${i}`, value, inputmode: 'numeric', hint: '9 digits, such as 04-1234567', onchange: () => void loadPlans() }),
      );
      tinList.append(row);
      return row;
    };

    async function loadPlans() {
      const tins = [...tinList.querySelectorAll<HTMLInputElement>('input')].map((i) => i.value.trim()).filter((t) => /^\d{2}-?\d{7}$/.test(t));
      const chosen = new Set([...plansBox.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
      const found = new Map<string, string>();
      const missing: string[] = [];
      for (const tin of tins) {
        try {
          const r = await get<{ plans: { id: string; name: string }[] }>(`/api/roster/tins/${encodeURIComponent(tin)}/health-plans`);
          for (const p of r.plans) found.set(p.id, p.name);
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) missing.push(err.message);
          else throw err;
        }
      }
      show(
        plansBox,
        found.size
          ? choices({ legend: 'Health plans for these TINs', name: 'application.planIds', type: 'checkbox', options: [...found].map(([value, label]) => ({ value, label })), value: chosen.size ? [...chosen] : [...found.keys()], hint: 'Keep checked the plans you will enter requests for' })
          : h('p', { class: 'hint' }, 'Enter your TINs: the health plans associated with them are listed here.'),
        ...missing.map((m) => h('p', { class: 'error' }, m)),
      );
    }

    const sections: (() => HTMLElement)[] = [
      () =>
        h(
          'fieldset',
          null,
          h('legend', null, SECTIONS[0].title),
          field({ label: 'First name', name: 'user.firstName', autocomplete: 'given-name', required: true, value: at('user.firstName') }),
          field({ label: 'Last name', name: 'user.lastName', autocomplete: 'family-name', required: true, value: at('user.lastName') }),
          field({ label: 'User role', name: 'user.role', type: 'select', required: true, choices: options.roles.map((r) => ({ value: r.id, label: r.label })), value: at('user.role') }),
          h(
            'fieldset',
            { 'data-field': 'user.organization' },
            h('legend', null, 'Organization'),
            h('p', { class: 'error' }),
            field({ label: 'Organization name', name: 'user.organization.name', autocomplete: 'organization', required: true, hint: 'As on file with the health plan for your TIN', value: at('user.organization.name') }),
            field({ label: 'Street address', name: 'user.organization.address.line1', autocomplete: 'address-line1', required: true, value: at('user.organization.address.line1') }),
            field({ label: 'Address line 2 (optional)', name: 'user.organization.address.line2', autocomplete: 'address-line2', value: at('user.organization.address.line2') }),
            field({ label: 'City', name: 'user.organization.address.city', autocomplete: 'address-level2', required: true, value: at('user.organization.address.city') }),
            field({ label: 'State', name: 'user.organization.address.state', type: 'select', required: true, choices: options.states.map((s) => ({ value: s, label: s })), value: at('user.organization.address.state') }),
            field({ label: 'ZIP code', name: 'user.organization.address.zip', autocomplete: 'postal-code', inputmode: 'numeric', required: true, value: at('user.organization.address.zip') }),
          ),
          field({ label: 'Email address', name: 'user.email', type: 'email', autocomplete: 'email', required: true, hint: 'We send a link to this address to confirm it', value: at('user.email') }),
          field({ label: 'Phone number', name: 'user.phone', type: 'tel', autocomplete: 'tel', required: true, value: at('user.phone') }),
          field({ label: 'Fax number (optional)', name: 'user.fax', type: 'tel', value: at('user.fax') }),
        ),
      () =>
        h(
          'fieldset',
          null,
          h('legend', null, SECTIONS[1].title),
          field({ label: 'Username', name: 'login.username', autocomplete: 'username', required: true, hint: '4 to 64 letters, digits, periods, underscores or hyphens, starting with a letter', value: at('login.username') }),
          field({ label: 'Password', name: 'login.password', type: 'password', autocomplete: 'new-password', required: true, hint: 'At least 12 characters; a few unrelated words make a good one', value: at('login.password') }),
          field({ label: 'Password again', name: 'login.passwordConfirmation', type: 'password', autocomplete: 'new-password', required: true, value: at('login.passwordConfirmation') }),
          h(
            'fieldset',
            { 'data-field': 'login.securityAnswers' },
            h('legend', null, `Security questions (answer all ${options.securityAnswersRequired})`),
            h('p', { class: 'error' }),
            ...Array.from({ length: options.securityAnswersRequired }, (_, i) =>
              h(
                'div',
                { class: 'card', 'data-field': `login.securityAnswers.${i}` },
                field({ label: `Question ${i + 1}`, name: `login.securityAnswers.${i}.questionId`, type: 'select', required: true, choices: options.securityQuestions.map((q) => ({ value: q.id, label: q.text })), value: at(`login.securityAnswers.${i}.questionId`) }),
                field({ label: `Answer ${i + 1}`, name: `login.securityAnswers.${i}.answer`, required: true, value: at(`login.securityAnswers.${i}.answer`) }),
              ),
            ),
          ),
        ),
      () => {
        show(tinList);
        const tins = (at('application.tins') as string[] | undefined) ?? [''];
        for (const t of tins.length ? tins : ['']) tinRow(t);
        void loadPlans();
        return h(
          'fieldset',
          null,
          h('legend', null, SECTIONS[2].title),
          field({ label: 'Program', name: 'application.program', type: 'select', required: true, choices: options.programs.map((p) => ({ value: p.id, label: p.label })), value: at('application.program') ?? options.programs[0]?.id }),
          h('div', { 'data-field': 'application.tins' }, h('p', { class: 'error' }), tinList),
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', onclick: () => tinRow().querySelector('input')?.focus() }, 'Add another TIN'),
            h('button', { type: 'button', onclick: () => (tinList.children.length > 1 ? (tinList.lastElementChild?.remove(), void loadPlans()) : undefined) }, 'Remove the last TIN'),
          ),
          plansBox,
        );
      },
      () =>
        h(
          'fieldset',
          null,
          h('legend', null, SECTIONS[3].title),
          h('p', null, `Terms of service, version ${options.termsVersion}: you use the portal only for patients of your practice and requests of your TINs, keep your password and authenticator to yourself, and tell us at once if they may be known to someone else. Requests you submit are records of the health plan.`),
          h(
            'div',
            { class: 'field choice', 'data-field': 'terms' },
            h('p', { class: 'error' }),
            h('input', { type: 'checkbox', id: 'terms-accepted', name: 'terms.accepted', checked: at('terms.accepted') === true }),
            h('label', { for: 'terms-accepted' }, 'I agree to the terms of service'),
          ),
          h('input', { type: 'hidden', name: 'terms.version', value: options.termsVersion }),
        ),
    ];

    function at(path: string): any {
      return path.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), data);
    }

    /** Keeps what the section's fields hold. */
    function keep() {
      const v = values(form) as Record<string, any>;
      for (const [k, section] of Object.entries(v)) data[k] = { ...((data[k] as object) ?? {}), ...section };
      if (v.application) data.application = { ...(data.application as object), tins: ((v.application.tins as string[]) ?? []).filter((t) => t.trim()), planIds: v.application.planIds ?? [] };
    }

    /** The server's check of everything entered so far; the problems of sections up to `upTo`. */
    async function check(upTo: number): Promise<{ problems: Problem[]; summary?: any }> {
      try {
        return { problems: [], summary: await post('/api/registrations/validate', data) };
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 400 && err.status !== 409)) throw err;
        const keys: string[] = SECTIONS.slice(0, upTo + 1).map((s) => s.key);
        return { problems: err.problems.filter((p) => keys.includes(p.field.replace(/^body\./, '').split('.')[0]!)) };
      }
    }

    function markStep(n: number) {
      for (const [i, li] of [...steps.children].entries()) {
        if (i === n) li.setAttribute('aria-current', 'step');
        else li.removeAttribute('aria-current');
      }
    }

    function go(n: number) {
      current = n;
      markStep(n);
      showProblems(form, []);
      if (n < SECTIONS.length) {
        show(
          body,
          sections[n]!(),
          h(
            'div',
            { class: 'actions' },
            n > 0 ? h('button', { type: 'button', onclick: () => (keep(), go(n - 1)) }, 'Back') : null,
            h('button', { type: 'submit', class: 'primary', onclick: (e: Event) => void next(e.currentTarget as HTMLButtonElement) }, n === SECTIONS.length - 1 ? 'Review' : 'Next'),
          ),
        );
        body.querySelector<HTMLElement>('input, select')?.focus();
      }
    }

    async function next(button: HTMLButtonElement) {
      keep();
      await submitting(form, button, async () => {
        const { problems, summary: s } = await check(current);
        if (problems.length) throw new ApiError(400, 'validation_failed', 'problems', { problems });
        if (current < SECTIONS.length - 1) return go(current + 1);
        if (s) review(s);
      });
    }

    function review(s: { summary: any; plans: { id: string; name: string }[] }) {
      current = SECTIONS.length;
      markStep(current);
      const u = s.summary.user;
      const edit = (n: number) => h('button', { type: 'button', class: 'link no-print', onclick: () => go(n) }, `Edit ${SECTIONS[n]!.title.slice(3).toLowerCase()}`);
      show(
        body,
        h('h2', { tabindex: '-1' }, 'Review your registration'),
        h('p', null, 'Check your answers. Print this page to keep a record; your password and security answers are not shown.'),
        h('h3', null, SECTIONS[0].title, ' ', edit(0)),
        h('dl', { class: 'summary' }, h('dt', null, 'Name'), h('dd', null, u.fullName), h('dt', null, 'Role'), h('dd', null, u.roleLabel), h('dt', null, 'Organization'), h('dd', null, u.organization.name, ...u.organization.addressLines.map((l: string) => [h('br'), l])), h('dt', null, 'Email'), h('dd', null, u.email), h('dt', null, 'Phone'), h('dd', null, u.phone.display), u.fax ? [h('dt', null, 'Fax'), h('dd', null, u.fax.display)] : null),
        h('h3', null, SECTIONS[1].title, ' ', edit(1)),
        h('dl', { class: 'summary' }, h('dt', null, 'Username'), h('dd', null, s.summary.login.username), h('dt', null, 'Security questions'), h('dd', null, ...s.summary.login.securityQuestions.map((q: { question: string }) => [q.question, h('br')]))),
        h('h3', null, SECTIONS[2].title, ' ', edit(2)),
        h('dl', { class: 'summary' }, h('dt', null, 'Program'), h('dd', null, s.summary.application.programLabel), h('dt', null, 'TINs'), h('dd', null, s.summary.application.tinsDisplay.join(', ')), h('dt', null, 'Health plans'), h('dd', null, s.plans.map((p) => p.name).join(', '))),
        h('h3', null, SECTIONS[3].title, ' ', edit(3)),
        h('p', null, `Accepted, version ${s.summary.terms.version}.`),
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'button', onclick: () => window.print() }, 'Print'),
          h('button', { type: 'submit', class: 'primary', onclick: (e: Event) => void submit(e.currentTarget as HTMLButtonElement) }, 'Submit registration'),
        ),
      );
      body.querySelector<HTMLElement>('h2')?.focus();
    }

    async function submit(button: HTMLButtonElement) {
      await submitting(form, button, async () => {
        try {
          const r = await post<{ registrationId: string; statusLabel: string; message: string }>('/api/registrations', data);
          sessionStorage.setItem('pa.registered', JSON.stringify({ email: (data.user as { email: string }).email, message: r.message, registrationId: r.registrationId }));
          navigate('/registered');
        } catch (err) {
          // Send the person to the first section with a problem, the problems beside their fields.
          if (err instanceof ApiError && err.problems.length) {
            const first = SECTIONS.findIndex((s) => err.problems.some((p) => p.field.replace(/^body\./, '').startsWith(s.key)));
            go(first < 0 ? 0 : first);
          }
          throw err;
        }
      });
    }

    go(0);
    return [h('h1', null, 'Register your office'), h('p', null, 'Register once; add health plans later from your profile. Every field is required unless it says optional.'), steps, form];
  },
});

page({
  path: '/registered',
  title: 'Registration submitted',
  roles: 'public',
  render: () => {
    const r = JSON.parse(sessionStorage.getItem('pa.registered') ?? '{}') as { email?: string; message?: string };
    return [
      h('h1', null, 'Registration submitted'),
      h('div', { class: 'notice' }, h('p', null, r.message ?? 'Your registration was submitted.')),
      h('p', null, `We sent an access key to ${r.email ?? 'your email address'}. Follow the link in that email to confirm your address. Once your account is verified, a second email tells you it is active.`),
      h('p', null, 'If no email arrives within 30 minutes, check your spam folder, or call Web Customer Service.'),
      h('p', null, h('a', { href: '/sign-in' }, 'Go to sign in')),
    ];
  },
});
