import { randomUUID } from 'node:crypto';
import { HIPAA_DISCLAIMER } from '../../domain/hipaa';
import { totpCode } from '../../domain/mfa';
import { testEnv } from './env';
import { Mailbox as CaptureMailbox } from './mailbox';
import { TERMS_VERSION } from '../../domain/registration';

/** What a person sends to sign in (the HIPAA disclaimer accepted). */
export const signInBody = (login: string, password: string) => ({ login, password, hipaaDisclaimerAccepted: HIPAA_DISCLAIMER.version });
import type { Mailbox } from './mailbox';

export const PASSWORD = 'violet tractor harbor lantern';

/** A valid registration for Harborview Family Medicine (TIN 04-1234567 on the seeded roster), unique per call. */
export function registration(change: (r: any) => void = () => {}) {
  const id = randomUUID().slice(0, 8);
  const r = {
    user: {
      firstName: 'Dana',
      lastName: 'Whitfield',
      role: 'OFFICE_STAFF',
      organization: {
        name: 'Harborview Family Medicine, P.C.',
        address: { line1: '200 Harbor St', line2: 'Suite 4', city: 'Boston', state: 'MA', zip: '02110' },
      },
      email: `dana.${id}@harborview.example`,
      phone: '(617) 555-0142',
      fax: '617-555-0143',
    },
    login: {
      username: `dwhitfield_${id}`,
      password: PASSWORD,
      passwordConfirmation: PASSWORD,
      securityAnswers: [
        { questionId: 'first-car', answer: 'Volvo 240' },
        { questionId: 'birth-city', answer: 'Worcester' },
        { questionId: 'first-pet', answer: 'Biscuit' },
      ],
    },
    application: { program: 'HEALTH_PLAN_UR', tins: ['04-1234567'], planIds: ['NEBHP'] },
    terms: { accepted: true, version: TERMS_VERSION },
  };
  change(r);
  return r;
}

export const isAccessKeyMail = (m: { subject: string }) => m.subject.startsWith('Confirm your email');

/** The access key link of the `n`th access key email (1-based) to `to`. */
export async function accessKeyLink(mailbox: Mailbox, to: string, n = 1): Promise<string> {
  const mails = await mailbox.waitFor(to, { count: n, match: isAccessKeyMail });
  const link = mails[n - 1]!.links.find((l) => l.includes('/verify-email?key='));
  if (!link) throw new Error(`no access key link in: ${mails[n - 1]!.text}`);
  return link;
}

/**
 * The authenticator app of the test users: the TOTP secret each enrolled at first sign-in (by
 * username and email), and the last time step used (the server accepts each step once).
 */
const authenticator = new Map<string, { secret: string; lastStep: number; email?: string }>();

/**
 * The code the test authenticator app shows now for `login` (enrolled by an earlier sign-in), on
 * a step not used yet; undefined when both usable steps are spent (ask for an emailed code).
 */
export function authenticatorCode(login: string): string | undefined {
  const app = authenticator.get(login.toLowerCase());
  if (!app) return undefined;
  const step = Math.floor(Date.now() / 30_000);
  if (app.lastStep >= step + 1) return undefined;
  const use = Math.max(step, app.lastStep + 1);
  app.lastStep = use;
  return totpCode(app.secret, use * 30_000 + 1_000);
}

/** Remembers an app enrolled elsewhere (a browser sign-in), under the username and email. */
export function rememberAuthenticator(logins: string[], secret: string, usedAt = Date.now()): void {
  const app = { secret, lastStep: Math.floor(usedAt / 30_000), email: logins.find((l) => l.includes('@')) };
  for (const l of logins) authenticator.set(l.toLowerCase(), app);
}

interface SignInAnswer {
  status: number;
  headers: Headers;
  body: any;
}

async function postJson(url: string, body: unknown): Promise<SignInAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/**
 * Signs in as a person does: password and HIPAA disclaimer, then a real TOTP code (enrolling the
 * app on first sign-in), or an emailed code when this step's TOTP code was used already.
 * Answers with the first refusal, or the session (201).
 */
export async function signIn(baseUrl: string, login: string, password: string): Promise<SignInAnswer> {
  const first = await postJson(`${baseUrl}/api/sessions`, signInBody(login, password));
  if (first.status !== 200) return first;
  const { challengeToken, method, enrollment } = first.body.mfa;
  const key = login.toLowerCase();
  let app = authenticator.get(key);
  if (method === 'ENROLL_TOTP') {
    app = { secret: enrollment.secret, lastStep: -1 };
    authenticator.set(key, app);
  }
  if (!app) throw new Error(`no authenticator for ${login}: it enrolled elsewhere`);
  const now = Date.now();
  const step = Math.floor(now / 30_000);
  let code: string;
  if (app.lastStep < step + 1) {
    const use = Math.max(step, app.lastStep + 1);
    code = totpCode(app.secret, use * 30_000 + 1_000);
    app.lastStep = use;
  } else {
    // Both usable steps are spent: ask for an emailed code, as a person would.
    const asked = await postJson(`${baseUrl}/api/sessions/mfa/email-code`, { challengeToken });
    if (asked.status !== 202) return asked;
    const mailbox = new CaptureMailbox(testEnv('mailboxUrl'));
    const isCode = (m: { subject: string }) => m.subject === 'Your provider portal sign-in code';
    const seen = (await mailbox.list(app.email!)).filter(isCode).length;
    const mails = await mailbox.waitFor(app.email!, { count: seen + 1, match: isCode });
    code = /code is (\d{6})/.exec(mails[mails.length - 1]!.text)![1]!;
  }
  const second = await postJson(`${baseUrl}/api/sessions/mfa`, { challengeToken, code });
  if (second.status === 201) {
    app.email = second.body.user.email;
    authenticator.set(second.body.user.username.toLowerCase(), app);
    authenticator.set(second.body.user.email.toLowerCase(), app);
  }
  return second;
}

/** Registers an office through the API, follows the emailed link and signs in: its bearer header. */
export async function signedInOffice(
  baseUrl: string,
  mailbox: Mailbox,
  change: (r: any) => void = () => {},
): Promise<{ auth: { authorization: string }; userId: string; username: string; email: string }> {
  const r = registration(change);
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const created = await post('/api/registrations', r);
  if (created.status !== 201) throw new Error(`registration failed: ${created.status} ${await created.text()}`);
  const link = await accessKeyLink(mailbox, r.user.email);
  const confirmed = await fetch(link, { headers: { accept: 'application/json' } });
  if (confirmed.status !== 200) throw new Error(`email link failed: ${confirmed.status} ${await confirmed.text()}`);
  const session = await signIn(baseUrl, r.login.username, r.login.password);
  const body = session.body as { token: string; user: { userId: string } };
  if (session.status !== 201) throw new Error(`sign-in failed: ${session.status} ${JSON.stringify(body)}`);
  return { auth: { authorization: `Bearer ${body.token}` }, userId: body.user.userId, username: r.login.username, email: r.user.email };
}
