import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

/**
 * `pa-support`: the support console on the command line, for support staff. A client of the
 * API (the same roles, checks and audit log as any other client), signed in once with
 * `pa-support login`; the session is kept in ~/.config/pa-support/session.json (or
 * PA_SUPPORT_SESSION_FILE), or given as PA_SESSION_TOKEN.
 */
const USAGE = `pa-support: find and unstick cases and registrations

  pa-support login --username NAME [--api URL] [--accept-hipaa] [--password-stdin] [--code 123456]
  pa-support logout
  pa-support stuck                                  what is stuck, and why
  pa-support list [--type CASE|REGISTRATION] [--status S] [--waiting-on W] [--in-state-for 4h] [--at-risk]
  pa-support show REF                               a case (PA-...), registration id or workflow id
  pa-support retry REF ACTIVITY_ID --reason "..."    retry a failing activity now
  pa-support resend CASE PURPOSE --reason "..."      send a case letter again (purpose as 'show' lists it)
  pa-support reassign CASE USERNAME|--release --reason "..."
  pa-support cancel CASE --reason "..."              cancel for the office
  pa-support access-key REGISTRATION_ID --reason "..."
  pa-support terminate REF --reason "..."            end a broken workflow, flag it for manual follow-up
  pa-support resync REF --reason "..."               write the database mirror again from the workflow
  pa-support resolve PROBLEM_ID --note "..."         a manual follow-up is done
  pa-support audit-mirror                           compare the mirror with every running workflow now

  --json prints the API's answer as JSON. Environment: PA_API_URL, PA_SESSION_TOKEN, PA_SUPPORT_SESSION_FILE.`;

const sessionFile = () => process.env.PA_SUPPORT_SESSION_FILE || path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'pa-support', 'session.json');

interface Saved {
  api: string;
  token: string;
  username: string;
}

function saved(): Partial<Saved> {
  try {
    return JSON.parse(readFileSync(sessionFile(), 'utf8')) as Saved;
  } catch {
    return {};
  }
}

class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

async function call(api: string, token: string | undefined, method: string, url: string, body?: unknown): Promise<any> {
  const res = await fetch(`${api}${url}`, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((err: unknown) => {
    throw new CliError(`cannot reach the API at ${api}: ${(err as Error).message}`);
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  if (!res.ok) {
    const e = json.error ?? {};
    const hint = res.status === 401 ? ' (sign in with: pa-support login --username NAME)' : '';
    throw new CliError(`${res.status} ${e.code ?? ''}: ${e.message ?? text}${hint}`);
  }
  return json;
}

async function ask(question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (hidden && process.stdin.isTTY) {
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => write.call(rl, s.startsWith(question) ? s : '');
  }
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  if (hidden && process.stdin.isTTY) process.stderr.write('\n');
  return answer.trim();
}

const line = (s = ''): void => void process.stdout.write(`${s}\n`);

function printItem(i: any): void {
  const ref = i.caseNumber ?? (i.registrationId ? `registration ${i.registrationId}` : i.workflowId);
  const state = [i.status, i.waitingOn ? `waiting on ${i.waitingOn}` : undefined, i.inState ? `for ${i.inState}` : undefined, i.due ? `due ${i.due}` : undefined].filter(Boolean).join(', ');
  line(`${i.recordType} ${ref}  ${state}${i.assignedTo ? `  claimed by ${i.assignedTo}` : ''}`);
}

function printInspect(v: any): void {
  line(`${v.recordType} ${v.record?.caseNumber ?? v.record?.id ?? ''}  workflow ${v.workflowId} (${v.execution})`);
  line(`  status ${v.status ?? '-'}${v.waitingOn ? `, waiting on ${v.waitingOn}` : ''}${v.statusSince ? ` since ${v.statusSince}` : ''}${v.dueAt ? `, due ${v.dueAt}` : ''}`);
  if (v.workflowTask) line(`  the workflow code is failing (${v.workflowTask.failingAttempts} attempts)`);
  for (const p of v.problems.filter((x: any) => !x.resolvedAt)) line(`  problem ${p.id} ${p.kind}: ${p.subject}: ${p.detail}`);
  if (v.mirror?.matches === false) line(`  mirror: the workflow says ${JSON.stringify(v.mirror.workflow)}, the database ${JSON.stringify(v.mirror.database)}`);
  for (const a of v.pendingActivities) line(`  pending ${a.activityId}: ${a.text}`);
  for (const t of v.timers) line(`  timer: ${t.what} at ${t.firesAt}`);
  for (const m of v.emails) line(`  email ${m.purpose}: ${m.subject} (${m.status}${m.lastError ? `, ${m.lastError}` : ''})`);
  line('  timeline:');
  for (const e of v.timeline) line(`    ${e.at}  ${e.text}`);
  line(`  Temporal Web UI: ${v.webUiUrl}`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      api: { type: 'string' },
      username: { type: 'string' },
      code: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'accept-hipaa': { type: 'boolean' },
      type: { type: 'string' },
      status: { type: 'string' },
      'waiting-on': { type: 'string' },
      'in-state-for': { type: 'string' },
      'at-risk': { type: 'boolean' },
      limit: { type: 'string' },
      reason: { type: 'string' },
      note: { type: 'string' },
      release: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...args] = positionals;
  if (!command || values.help) {
    line(USAGE);
    return;
  }
  const keep = saved();
  const api = (values.api || process.env.PA_API_URL || keep.api || 'http://127.0.0.1:3000').replace(/\/$/, '');
  // An empty variable is as good as unset.
  const token = process.env.PA_SESSION_TOKEN || keep.token;
  const out = (json: unknown, human: () => void) => (values.json ? line(JSON.stringify(json, null, 2)) : human());
  const need = (n: number, what: string) => {
    if (args.length < n) throw new CliError(`${command} needs ${what}\n\n${USAGE}`, 2);
  };
  const reason = () => {
    if (!values.reason) throw new CliError(`${command} needs --reason "..." (kept in the audit log)`, 2);
    return values.reason;
  };
  const workflowOf = async (ref: string) => (await call(api, token, 'GET', `/api/support/lookup?ref=${encodeURIComponent(ref)}`)).workflowId as string;

  switch (command) {
    case 'login': {
      if (!values.username) throw new CliError('login needs --username NAME', 2);
      const disclaimer = await call(api, undefined, 'GET', '/api/hipaa-disclaimer');
      if (!values['accept-hipaa']) {
        process.stderr.write(`${disclaimer.text}\n`);
        if (!/^y(es)?$/i.test(await ask('Accept the HIPAA disclaimer? [y/N] '))) throw new CliError('The HIPAA disclaimer must be accepted to sign in');
      }
      const password = values['password-stdin'] ? (await ask('')).replace(/\r?\n$/, '') : await ask('Password: ', true);
      const first = await call(api, undefined, 'POST', '/api/sessions', { login: values.username, password, hipaaDisclaimerAccepted: disclaimer.version });
      if (first.mfa.method === 'ENROLL_TOTP') throw new CliError('Set up your authenticator app first: sign in once in the browser (the first sign-in enrolls it)');
      const code = values.code ?? (await ask('Code from your authenticator app: '));
      const session = await call(api, undefined, 'POST', '/api/sessions/mfa', { challengeToken: first.mfa.challengeToken, code });
      if (session.user.accessRole !== 'SUPPORT') throw new CliError(`${values.username} is a ${session.user.accessRoleLabel}: the support console is for support staff`);
      const file = sessionFile();
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ api, token: session.token, username: session.user.username } satisfies Saved), { mode: 0o600 });
      chmodSync(file, 0o600);
      line(`Signed in as ${session.user.username} until ${session.expiresAt} (or 15 minutes without use).`);
      return;
    }
    case 'logout': {
      if (token) await call(api, token, 'DELETE', '/api/sessions/current').catch(() => undefined);
      rmSync(sessionFile(), { force: true });
      line('Signed out.');
      return;
    }
    case 'stuck': {
      const r = await call(api, token, 'GET', '/api/support/stuck');
      return out(r, () => {
        if (!r.stuck.length) return line('Nothing is stuck.');
        for (const i of r.stuck) {
          printItem(i);
          for (const reason of i.reasons) line(`  - ${reason.text}${reason.problemId ? ` [problem ${reason.problemId}]` : ''}${reason.activityId ? ` [activity ${reason.activityId}]` : ''}  repair: ${reason.repairs.join(', ')}`);
        }
      });
    }
    case 'list': {
      const q = new URLSearchParams();
      if (values.type) q.set('type', values.type.toUpperCase());
      if (values.status) q.set('status', values.status.toUpperCase());
      if (values['waiting-on']) q.set('waitingOn', values['waiting-on'].toUpperCase());
      if (values['in-state-for']) q.set('inStateFor', values['in-state-for']);
      if (values['at-risk']) q.set('atRisk', 'true');
      if (values.limit) q.set('limit', values.limit);
      const r = await call(api, token, 'GET', `/api/support/workflows?${q}`);
      return out(r, () => (r.workflows.length ? r.workflows.forEach(printItem) : line('None.')));
    }
    case 'show': {
      need(1, 'a case number, registration id or workflow id');
      const r = await call(api, token, 'GET', `/api/support/workflows/${encodeURIComponent(await workflowOf(args[0]!))}`);
      return out(r, () => printInspect(r));
    }
    case 'retry': {
      need(2, 'the case (or workflow) and the activity id that show lists');
      const r = await call(api, token, 'POST', `/api/support/workflows/${encodeURIComponent(await workflowOf(args[0]!))}/activities/${encodeURIComponent(args[1]!)}/retry`, { reason: reason() });
      return out(r, () => line(r.message));
    }
    case 'resend': {
      need(2, 'the case number and the letter (purpose) that show lists');
      const r = await call(api, token, 'POST', `/api/support/cases/${encodeURIComponent(args[0]!)}/letters/${encodeURIComponent(args[1]!)}/resend`, { reason: reason() });
      return out(r, () => line(r.message));
    }
    case 'reassign': {
      need(values.release ? 1 : 2, 'the case number and a reviewer\'s username (or --release)');
      const r = await call(api, token, 'POST', `/api/support/cases/${encodeURIComponent(args[0]!)}/assignee`, { username: values.release ? null : args[1], reason: reason() });
      return out(r, () => line(`${r.caseNumber}: ${r.assignedTo ? `assigned to ${r.assignedTo}` : 'released'} (was ${r.previous ?? 'nobody'})`));
    }
    case 'cancel': {
      need(1, 'the case number');
      const r = await call(api, token, 'POST', `/api/support/cases/${encodeURIComponent(args[0]!)}/cancel`, { reason: reason() });
      return out(r, () => line(`${r.caseNumber}: cancelled; the office gets the cancellation letter`));
    }
    case 'access-key': {
      need(1, 'the registration id');
      const r = await call(api, token, 'POST', `/api/support/registrations/${encodeURIComponent(args[0]!)}/access-key`, { reason: reason() });
      return out(r, () => line(`A new access key link is on its way (send ${r.accessKeySends}).`));
    }
    case 'terminate': {
      need(1, 'the case, registration or workflow');
      const r = await call(api, token, 'POST', `/api/support/workflows/${encodeURIComponent(await workflowOf(args[0]!))}/terminate`, { reason: reason() });
      return out(r, () => line(`${r.message} (problem ${r.problemId})`));
    }
    case 'resync': {
      need(1, 'the case, registration or workflow');
      const r = await call(api, token, 'POST', `/api/support/workflows/${encodeURIComponent(await workflowOf(args[0]!))}/resync`, { reason: reason() });
      return out(r, () => line(r.mirror.matches ? 'The database mirror matches the workflow again.' : `The mirror still differs: ${JSON.stringify(r.mirror)}`));
    }
    case 'resolve': {
      need(1, 'the problem id');
      if (!values.note) throw new CliError('resolve needs --note "what was done"', 2);
      const r = await call(api, token, 'POST', `/api/support/problems/${encodeURIComponent(args[0]!)}/resolve`, { note: values.note });
      return out(r, () => line(`Problem ${r.problemId} resolved.`));
    }
    case 'audit-mirror': {
      const r = await call(api, token, 'POST', '/api/support/mirror-audits');
      return out(r, () => line(`Checked ${r.checked} running workflows: ${r.drifted} drifted, ${r.resolved} drift(s) resolved.`));
    }
    default:
      throw new CliError(`unknown command ${command}\n\n${USAGE}`, 2);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`pa-support: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof CliError ? err.code : 1);
  },
);
