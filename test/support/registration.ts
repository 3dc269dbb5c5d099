import { randomUUID } from 'node:crypto';
import { HIPAA_DISCLAIMER } from '../../domain/hipaa';
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
  const session = await post('/api/sessions', signInBody(r.login.username, r.login.password));
  const body = (await session.json()) as { token: string; user: { userId: string } };
  if (session.status !== 201) throw new Error(`sign-in failed: ${session.status} ${JSON.stringify(body)}`);
  return { auth: { authorization: `Bearer ${body.token}` }, userId: body.user.userId, username: r.login.username, email: r.user.email };
}
