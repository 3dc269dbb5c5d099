import { ApiError, get, post } from '../../api';
import { h, show } from '../../dom';
import { field, problemSummary, showProblems, submitting, values } from '../../forms';
import { navigate, page } from '../../router';
import { HOME, signedIn, type Me } from '../../session';

interface Challenge {
  challengeToken: string;
  expiresAt: string;
  method: 'TOTP' | 'ENROLL_TOTP';
  emailFallback: boolean;
  enrollment?: { secret: string; otpauthUri: string; qrSvg: string };
}

/** Where a signed-in person goes: back to the page that sent them here (same site only), or their start page. */
function after(user: Me, next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : HOME[user.accessRole];
}

page({
  path: '/sign-in',
  title: 'Sign in',
  roles: 'public',
  render: async ({ query, user }) => {
    if (user) {
      navigate(HOME[user.accessRole], { replace: true });
      return [];
    }
    const disclaimer = await get<{ version: string; text: string }>('/api/hipaa-disclaimer');
    const container = h('div', { class: 'narrow' });
    const summary = problemSummary();
    const form: HTMLFormElement = h(
      'form',
      { novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void step1()) },
      summary,
      field({ label: 'Username or email address', name: 'login', autocomplete: 'username', required: true }),
      field({ label: 'Password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
      h('details', { class: 'disclaimer' }, h('summary', null, 'HIPAA disclaimer'), h('p', null, disclaimer.text)),
      h('div', { class: 'field choice', 'data-field': 'hipaaDisclaimerAccepted' }, h('p', { class: 'error' }), h('input', { type: 'checkbox', id: 'hipaa', name: 'hipaa' }), h('label', { for: 'hipaa' }, 'I have read and agree to the HIPAA disclaimer')),
      h('button', { type: 'submit', class: 'primary' }, 'Continue'),
    );

    async function step1() {
      const v = values(form) as { login: string; password: string; hipaa: boolean };
      const problems = [
        ...(!v.login.trim() ? [{ field: 'login', message: 'Enter your username or email address' }] : []),
        ...(!v.password ? [{ field: 'password', message: 'Enter your password' }] : []),
        ...(!v.hipaa ? [{ field: 'hipaaDisclaimerAccepted', message: 'Agree to the HIPAA disclaimer to sign in' }] : []),
      ];
      if (showProblems(form, problems)) return;
      await submitting(form, form.querySelector('button'), async () => {
        try {
          const { mfa } = await post<{ mfa: Challenge }>('/api/sessions', { login: v.login, password: v.password, hipaaDisclaimerAccepted: disclaimer.version });
          show(container, secondFactor(mfa));
          container.querySelector<HTMLElement>('h2')?.focus();
        } catch (err) {
          if (err instanceof ApiError && err.code === 'account_inactive') {
            throw new ApiError(err.status, err.code, 'Your account was locked because it was not used for a long time. Unlock it by confirming your identity.', {});
          }
          throw err;
        }
      });
    }

    function secondFactor(mfa: Challenge): HTMLElement {
      const summary2 = problemSummary();
      const enrolling = mfa.method === 'ENROLL_TOTP' && mfa.enrollment;
      const codeForm: HTMLFormElement = h(
        'form',
        { novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), void verify()) },
        summary2,
        enrolling
          ? h(
              'div',
              { class: 'enrollment' },
              h('p', null, 'Your account needs an authenticator app (such as Google Authenticator, Microsoft Authenticator or 1Password). Scan this code with the app:'),
              h('img', { src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(mfa.enrollment!.qrSvg)}`, alt: 'QR code for your authenticator app', width: 180, height: 180 }),
              h('p', null, 'Or enter this key in the app: ', h('code', { class: 'secret', 'data-testid': 'totp-secret' }, mfa.enrollment!.secret)),
            )
          : h('p', null, 'Enter the 6-digit code from your authenticator app.'),
        field({ label: 'Code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 7, required: true, hint: 'Six digits; it changes every 30 seconds' }),
        h('button', { type: 'submit', class: 'primary' }, enrolling ? 'Set up and sign in' : 'Sign in'),
        mfa.emailFallback
          ? h(
              'p',
              null,
              h(
                'button',
                {
                  type: 'button',
                  class: 'link',
                  onclick: async (e: Event) =>
                    submitting(codeForm, e.currentTarget as HTMLButtonElement, async () => {
                      const r = await post<{ message: string }>('/api/sessions/mfa/email-code', { challengeToken: mfa.challengeToken });
                      codeForm.querySelector('.sent')?.remove();
                      codeForm.append(h('p', { class: 'notice sent', role: 'status' }, `${r.message}. Enter it above.`));
                    }),
                },
                'Email me a code instead',
              ),
            )
          : null,
      );
      async function verify() {
        const { code } = values(codeForm) as { code: string };
        if (showProblems(codeForm, /^\d{3} ?\d{3}$/.test(code.trim()) ? [] : [{ field: 'code', message: 'Enter the 6 digits of the code' }])) return;
        await submitting(codeForm, codeForm.querySelector('button[type=submit]'), async () => {
          try {
            const s = await post<{ csrfToken: string; user: Me }>('/api/sessions/mfa', { challengeToken: mfa.challengeToken, code: code.trim() });
            signedIn(s.user, s.csrfToken);
            navigate(after(s.user, query.get('next')), { replace: true });
          } catch (err) {
            if (err instanceof ApiError && err.code === 'mfa_challenge_invalid') {
              show(container, h('h2', { tabindex: '-1' }, 'Sign in again'), h('p', null, err.message), h('p', null, h('a', { href: '/sign-in' }, 'Start again')));
              return;
            }
            if (err instanceof ApiError && err.code === 'invalid_code') throw new ApiError(err.status, err.code, err.message, { problems: [{ field: 'code', message: err.message }] });
            throw err;
          }
        });
      }
      return h('div', null, h('h2', { tabindex: '-1' }, enrolling ? 'Set up your authenticator app' : 'Enter your code'), codeForm);
    }

    show(
      container,
      form,
      h(
        'ul',
        { class: 'links' },
        h('li', null, h('a', { href: '/register' }, 'Register your office')),
        h('li', null, h('a', { href: '/password-reset' }, 'Forgot your password?')),
        h('li', null, h('a', { href: '/unlock' }, 'Account locked for inactivity? Confirm your identity')),
      ),
    );
    return [h('h1', null, 'Sign in'), container];
  },
});

page({
  path: '/',
  title: 'Prior Authorization Portal',
  roles: 'public',
  render: ({ user }) => {
    navigate(user ? HOME[user.accessRole] : '/sign-in', { replace: true });
    return [];
  },
});
