import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT_DIR } from '../common/config';
import { HIPAA_DISCLAIMER } from '../domain/hipaa';
import { totpCode } from '../domain/mfa';
import { TERMS_VERSION } from '../domain/registration';
import type { RunningSystem } from './system';

/** What the actors need of a running system: its API, its mailbox and its environment. */
type System = Pick<RunningSystem, 'baseUrl' | 'mailboxUrl' | 'env'>;

/**
 * The people of a benchmark, made as people are made: an office registers, follows its emailed
 * link and signs in with an authenticator app; the first administrator comes from
 * `npm run admin:create`; nurses are created by the administrator and follow their invitations.
 * Everything over HTTP and the mail capture, as in production.
 */
export interface Actor {
  username: string;
  auth: { authorization: string };
}

const PASSWORD = 'violet tractor harbor lantern';

export function http(baseUrl: string) {
  return async function call<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

async function mailLink(sys: System, to: string, match: (s: string) => boolean, linkPart: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${sys.mailboxUrl}/api/messages?to=${encodeURIComponent(to)}`);
    const { messages } = (await res.json()) as { messages: { subject: string; links: string[] }[] };
    const m = messages.find((x) => match(x.subject));
    const link = m?.links.find((l) => l.includes(linkPart));
    if (link) return link;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${to}`);
}

async function signInEnrolling(sys: System, login: string, password: string): Promise<Actor> {
  const call = http(sys.baseUrl);
  const first = await call('POST', '/api/sessions', { login, password, hipaaDisclaimerAccepted: HIPAA_DISCLAIMER.version });
  if (first.status !== 200) throw new Error(`sign-in of ${login}: ${first.status} ${JSON.stringify(first.body)}`);
  const code = totpCode(first.body.mfa.enrollment.secret, Date.now());
  const s = await call('POST', '/api/sessions/mfa', { challengeToken: first.body.mfa.challengeToken, code });
  if (s.status !== 201) throw new Error(`second factor of ${login}: ${s.status} ${JSON.stringify(s.body)}`);
  return { username: login, auth: { authorization: `Bearer ${s.body.token}` } };
}

export async function office(sys: System): Promise<Actor> {
  const call = http(sys.baseUrl);
  const id = randomUUID().slice(0, 8);
  const email = `bench.${id}@harborview.example`;
  const username = `bench_${id}`;
  const created = await call('POST', '/api/registrations', {
    user: {
      firstName: 'Bea',
      lastName: 'Bench',
      role: 'OFFICE_STAFF',
      organization: { name: 'Harborview Family Medicine, P.C.', address: { line1: '200 Harbor St', city: 'Boston', state: 'MA', zip: '02110' } },
      email,
      phone: '(617) 555-0142',
    },
    login: {
      username,
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
  });
  if (created.status !== 201) throw new Error(`registration: ${created.status} ${JSON.stringify(created.body)}`);
  const link = await mailLink(sys, email, (s) => s.startsWith('Confirm your email'), '/verify-email?key=');
  const confirmed = await fetch(link, { headers: { accept: 'application/json' } });
  if (confirmed.status !== 200) throw new Error(`email link: ${confirmed.status}`);
  return signInEnrolling(sys, username, PASSWORD);
}

async function acceptInvitation(sys: System, email: string, username: string): Promise<Actor> {
  const link = await mailLink(sys, email, (s) => s.startsWith('Set up'), 'token=');
  const token = new URL(link).searchParams.get('token');
  const done = await http(sys.baseUrl)('POST', '/api/password-resets/complete', { token, password: PASSWORD, passwordConfirmation: PASSWORD });
  if (done.status !== 200) throw new Error(`invitation of ${username}: ${done.status}`);
  return signInEnrolling(sys, username, PASSWORD);
}

export async function admin(sys: System): Promise<Actor> {
  const id = randomUUID().slice(0, 8);
  const username = `bench.admin.${id}`;
  const email = `admin.${id}@plan.example`;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'scripts/create-admin.ts'), '--username', username, '--email', email, '--first-name', 'Ada', '--last-name', 'Bench'], {
    cwd: ROOT_DIR,
    env: { ...process.env, ...sys.env },
  });
  return acceptInvitation(sys, email, username);
}

/** A reviewer of the NEBHP plan, created by an administrator, who follows the invitation. */
export async function staff(sys: System, by: Actor, accessRole: 'NURSE' | 'PHYSICIAN'): Promise<Actor> {
  const id = randomUUID().slice(0, 8);
  const kind = accessRole.toLowerCase();
  const username = `bench.${kind}.${id}`;
  const email = `${kind}.${id}@plan.example`;
  const firstName = accessRole === 'NURSE' ? 'Nina' : 'Paul';
  const made = await http(sys.baseUrl)('POST', '/api/admin/staff', { firstName, lastName: 'Bench', email, username, accessRole, planIds: ['NEBHP'] }, by.auth);
  if (made.status !== 201) throw new Error(`${kind}: ${made.status} ${JSON.stringify(made.body)}`);
  return acceptInvitation(sys, email, username);
}

export const nurse = (sys: System, by: Actor) => staff(sys, by, 'NURSE');
