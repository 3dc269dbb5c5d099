import { post } from '../../api';
import { h, show } from '../../dom';
import { field, problemSummary, showProblems, submitting, values } from '../../forms';
import { flash, navigate, page } from '../../router';

/** Asking for a password reset link (the link's own page is served with the email). */
page({
  path: '/password-reset',
  title: 'Reset your password',
  roles: 'public',
  render: () => {
    const out = h('div', { role: 'status' });
    const form: HTMLFormElement = h(
      'form',
      {
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const { login } = values(form) as { login: string };
          if (showProblems(form, login.trim() ? [] : [{ field: 'login', message: 'Enter your username or email address' }])) return;
          void submitting(form, form.querySelector('button'), async () => {
            const r = await post<{ message: string }>('/api/password-resets', { login });
            show(out, h('p', { class: 'notice' }, r.message));
          });
        },
      },
      problemSummary(),
      field({ label: 'Username or email address', name: 'login', autocomplete: 'username', required: true }),
      h('button', { type: 'submit', class: 'primary' }, 'Email me a reset link'),
    );
    return [h('h1', null, 'Reset your password'), h('div', { class: 'narrow' }, form, out, h('p', null, h('a', { href: '/sign-in' }, 'Back to sign in')))];
  },
});

/** Unlocking an account locked for inactivity: password, then the emailed code and a security answer. */
page({
  path: '/unlock',
  title: 'Confirm your identity',
  roles: 'public',
  render: () => {
    const box = h('div', { class: 'narrow' });
    const first: HTMLFormElement = h(
      'form',
      {
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = values(first) as { login: string; password: string };
          void submitting(first, first.querySelector('button'), async () => {
            const r = await post<{ confirmationId: string; question: { text: string }; message: string }>('/api/identity-confirmations', v);
            const second: HTMLFormElement = h(
              'form',
              {
                novalidate: true,
                onsubmit: (ev: Event) => {
                  ev.preventDefault();
                  void submitting(second, second.querySelector('button'), async () => {
                    await post(`/api/identity-confirmations/${r.confirmationId}`, values(second));
                    flash('Your account is unlocked: sign in.');
                    navigate('/sign-in');
                  });
                },
              },
              problemSummary(),
              h('p', null, 'We emailed you a 6-digit code.'),
              field({ label: 'Code from the email', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', required: true }),
              field({ label: r.question.text, name: 'answer', required: true }),
              h('button', { type: 'submit', class: 'primary' }, 'Unlock my account'),
            );
            show(box, second);
            second.querySelector('input')?.focus();
          });
        },
      },
      problemSummary(),
      field({ label: 'Username or email address', name: 'login', autocomplete: 'username', required: true }),
      field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
      h('button', { type: 'submit', class: 'primary' }, 'Continue'),
    );
    show(box, first);
    return [h('h1', null, 'Confirm your identity'), h('p', null, 'Your account was locked because it was not used for a long time. Confirm it is you to unlock it.'), box];
  },
});
