import { randomUUID } from 'node:crypto';
import { TERMS_VERSION } from '../../domain/registration';
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
