import { randomUUID } from 'node:crypto';
import { migrateAndSeed } from './support/databases';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Client } from 'pg';
import { errorBodySchema } from '../api/errors';
import { createPrisma } from '../common/db';
import type { AccessRole } from '../domain/access';
import { fixtures, members } from '../prisma/seed/reference';
import { applicationTables, countChanges, requestsFor, rowCounts, urlOf, type GeneratedRequest, type Operation, type RowCounts } from './support/bad-input';
import { errorsOf, launchBrowser, newPage } from './support/browser';
import { LUMBAR_NOT_MET, submitLumbarMri } from './support/cases';
import { testEnv } from './support/env';
import { apiClient } from './support/http';
import { PASSWORD, signedInOffice, signIn } from './support/registration';
import { STAFF_PASSWORD, staffTeam } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * Bad input loses nothing. Every operation of /openapi.json gets requests that fast-check makes
 * from the operation's own schemas (a wrong type, a missing or extra field, a boundary length, a
 * huge or negative number, unicode, control characters, SQL and HTML injection, bad escapes),
 * once without a session and once signed in as a role it serves: none may answer 5xx, every 4xx
 * is in the error shape, and a refused write leaves the row count of every table as it was.
 * Then the cases worth writing out: bodies too large, of the wrong type or broken, text that
 * must come back exactly as sent (and be shown as text, never markup), impossible numbers and
 * dates, and the same request twice at the same moment.
 *
 * The suite has a database of its own, migrated and seeded as the run's: suites running beside
 * it write to theirs, so any change of a row count here is this suite's doing. BAD_INPUT_SEED
 * replays a run's requests (the seed is printed, and with it every failing request).
 */
const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261202);
/** Runs per operation are multiplied by this (BAD_INPUT_SCALE=10 for a long hunt). */
const SCALE = Number(process.env.BAD_INPUT_SCALE ?? 1);

let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let dropDatabase: () => Promise<void>;
let tables: string[];

interface Caller {
  bearer: { authorization: string };
  cookie: { token: string; csrfToken: string };
}
let callers: Record<AccessRole, Caller>;
let office: { auth: { authorization: string }; userId: string; username: string; email: string };
let pools: Record<string, string[]>;

const today = new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const nebhp = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id);
let nextMember = 0;
const aMember = () => nebhp[nextMember++]!;

/** A complete lumbar MRI request that the guideline does not meet: submitted, it is pended (no order number). */
const lumbarMri = (memberId: string, exam: Record<string, unknown> = {}) => ({
  memberId,
  orderingProviderNpi: fixtures.harborviewPhysician,
  urgency: 'STANDARD',
  dateOfService: inDays(10),
  exams: [{ procedureCode: '72148', diagnosisCodes: ['M54.16'], answers: LUMBAR_NOT_MET, ...exam }],
});

/** A database of this suite's own, built as global setup builds the run's. */
async function ownDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = testEnv('adminDatabaseUrl');
  const name = `bad_input_${randomUUID().replace(/-/g, '')}`;
  const run = async (sql: string) => {
    const c = new Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrateAndSeed(url.toString());
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

beforeAll(async () => {
  const db = await ownDatabase();
  dropDatabase = db.drop;
  stack = await startStack({ DATABASE_URL: db.url });
  api = apiClient(stack.baseUrl);
  tables = await applicationTables(stack.prisma);
  let team: Awaited<ReturnType<typeof staffTeam>>;
  let victim: Awaited<ReturnType<typeof signedInOffice>>;
  [office, victim, team] = await Promise.all([
    signedInOffice(stack.baseUrl, stack.mailbox, (r) => (r.application.planIds = ['NEBHP', 'GLCH'])),
    signedInOffice(stack.baseUrl, stack.mailbox),
    staffTeam(stack, ['NEBHP']),
  ]);
  // A staff account only invited, for the administrators' requests to act on.
  const invited = await api.post('/api/admin/staff', { firstName: 'Ivy', lastName: 'Invited', email: `ivy.${randomUUID().slice(0, 8)}@plan-staff.example`, username: `ivy.${randomUUID().slice(0, 8)}`, accessRole: 'NURSE', planIds: ['NEBHP'] }, team.admin.auth);
  expect(invited.status).toBe(201);

  // Each role signed in twice: a bearer token (API clients), and a cookie with its CSRF token (browsers).
  const people: [AccessRole, { auth: { authorization: string }; username: string }, string][] = [
    ['PROVIDER', office, PASSWORD],
    ['NURSE', team.nurse, STAFF_PASSWORD],
    ['PHYSICIAN', team.physician, STAFF_PASSWORD],
    ['SUPERVISOR', team.supervisor, STAFF_PASSWORD],
    ['SUPPORT', team.support, STAFF_PASSWORD],
    ['ADMIN', team.admin, STAFF_PASSWORD],
  ];
  callers = Object.fromEntries(
    await Promise.all(
      people.map(async ([role, who, password]) => {
        const session = await signIn(stack.baseUrl, who.username, password);
        expect(session.status).toBe(201);
        return [role, { bearer: who.auth, cookie: { token: session.body.token, csrfToken: session.body.csrfToken } }] as const;
      }),
    ),
  ) as Record<AccessRole, Caller>;

  // Real values for some path and query parameters, so that requests reach past "not found".
  const draft = await api.post('/api/drafts', lumbarMri(aMember()), office.auth);
  expect(draft.body.review.problems).toEqual([]);
  const pended = await submitLumbarMri(api, office.auth, { memberId: aMember(), answers: LUMBAR_NOT_MET });
  pools = {
    draftId: [draft.body.draftId],
    caseNumber: [pended.caseNumber],
    workflowId: [pended.workflowId],
    userId: [victim.userId, invited.body.userId],
    registrationId: [victim.userId],
    memberId: [nebhp[0]!],
    tin: ['04-1234567'],
    system: ['ICD10CM', 'CPT'],
    code: ['M54.16', '72148'],
    exam: ['1'],
    purpose: ['decision-1', 'info_request-1'],
    activityId: ['1'],
    planId: ['NEBHP'],
    procedureCode: ['72148'],
    dateOfService: [inDays(10)],
    q: ['lumbar', 'M54', 'mri knee'],
  };
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await dropDatabase?.();
});

// ---- Sending, and what every answer must be ---------------------------------------------------

interface Answer {
  status: number;
  text: string;
  json: any;
}

async function send(method: string, url: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  // An answer that never comes is a failure too (a request stuck on a workflow that cannot take it).
  const res = await fetch(`${stack.baseUrl}${url}`, { method, headers: { accept: 'application/json', ...init.headers }, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

const inErrorShape = (a: Answer) => errorBodySchema.safeParse(a.json).success;
const counts = () => rowCounts(stack.prisma, tables);
const json = { 'content-type': 'application/json' };

/** Refused attempts the audit log keeps on purpose (a failed sign-in is evidence): the only rows a refusal may add. */
const AUDITED_REFUSALS = new Set([
  'session.sign_in_failed',
  'session.sign_in_refused',
  'session.locked',
  'session.inactivity_locked',
  'session.mfa_failed',
  'identity.confirmation_refused',
  'identity.confirmation_failed',
]);

/** What a refused request changed: tables whose row counts moved, but for refusals the audit log keeps on purpose. */
async function rowsChanged(before: RowCounts, after: RowCounts): Promise<string[]> {
  const changes = countChanges(before, after);
  if (!changes.some((c) => c.startsWith('AuditEvent:'))) return changes;
  const added = await stack.prisma.auditEvent.findMany({ where: { id: { gt: before.lastAuditId } }, select: { action: true } });
  const unexpected = added.filter((e) => !AUDITED_REFUSALS.has(e.action));
  return unexpected.length ? changes.map((c) => (c.startsWith('AuditEvent:') ? `${c} (${unexpected.map((e) => e.action).join(', ')})` : c)) : changes.filter((c) => !c.startsWith('AuditEvent:'));
}

/** The longest that background work of an accepted request kept writing after its answer. */
let longestSettle = 0;

/** Counts once background work started by an accepted request (a workflow's writes, its emails) has stopped changing them. */
async function settledCounts(): Promise<RowCounts> {
  const started = Date.now();
  let last = await counts();
  const deadline = started + 5_000;
  for (let quiet = 0; quiet < 3 && Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 80));
    const now = await counts();
    if (!countChanges(last, now).length && now.lastAuditId === last.lastAuditId) quiet++;
    else {
      [last, quiet] = [now, 0];
      longestSettle = Math.max(longestSettle, Date.now() - started);
    }
  }
  return last;
}

// ---- Generated requests --------------------------------------------------------------------

type How = 'bearer' | 'cookie' | 'cookie without its CSRF token';
const ROLES: AccessRole[] = ['PROVIDER', 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT', 'ADMIN'];

function authHeaders(role: AccessRole, how: How): Record<string, string> {
  const c = callers[role];
  if (how === 'bearer') return c.bearer;
  return { cookie: `pa_session=${c.cookie.token}`, ...(how === 'cookie' ? { 'x-csrf-token': c.cookie.csrfToken } : {}) };
}

test('generated requests to every operation: no 5xx, every 4xx in the error shape, no refused write leaves a row', async () => {
  const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
  const ops = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op, name: `${method.toUpperCase()} ${path}` })))
    .sort((a, b) => a.name.localeCompare(b.name));
  console.log(`[bad-input] seed ${SEED}, scale ${SCALE} (BAD_INPUT_SEED=${SEED} BAD_INPUT_SCALE=${SCALE} npx jest test/bad-input.test.ts sends the same requests)`);

  const byStatus = new Map<number, number>();
  const failures: string[] = [];
  let sent = 0;
  let refusedWritesChecked = 0;
  const covered = new Set<string>();
  const perOperation = new Map<string, number[]>();
  let known: RowCounts | undefined;

  /** Sends one generated request; a description of what was wrong with the answer, if anything. */
  async function check(o: (typeof ops)[number], r: GeneratedRequest, as?: { role: AccessRole; how: How }): Promise<string | undefined> {
    const write = o.method !== 'GET';
    const before = write ? (known ?? (await counts())) : undefined;
    const headers = { ...(r.body !== undefined ? json : {}), ...r.headers, ...(as ? authHeaders(as.role, as.how) : {}) };
    const a = await send(o.method, urlOf(r), { headers, body: r.body }).catch((err: Error): Answer => ({ status: 0, text: `no answer: ${err.message}`, json: undefined }));
    sent++;
    covered.add(o.name);
    byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    perOperation.set(o.name, [...(perOperation.get(o.name) ?? []), a.status]);
    known = undefined;
    let problem: string | undefined;
    if (a.status >= 500 || a.status === 0) problem = a.status ? `answered ${a.status}` : a.text;
    else if (a.status >= 400 && !inErrorShape(a)) problem = `answered ${a.status} outside the error shape`;
    else if (a.status >= 400 && before) {
      const after = await counts();
      refusedWritesChecked++;
      const changed = await rowsChanged(before, after);
      if (changed.length) problem = `answered ${a.status} but changed rows: ${changed.join('; ')}`;
      known = after;
    } else if (write) {
      known = await settledCounts();
    }
    if (!problem) return undefined;
    const shown = r.headers;
    return [
      `${o.name} ${as ? `as ${as.role} (${as.how})` : 'without a session'}: ${problem}`,
      `  request: ${o.method} ${urlOf(r).slice(0, 400)}${Object.keys(shown).length ? ` headers ${JSON.stringify(shown)}` : ''}`,
      ...(r.body !== undefined ? [`  body: ${r.body.slice(0, 600)}`] : []),
      `  answer: ${a.text.slice(0, 600)}`,
    ].join('\n');
  }

  known = await settledCounts();
  for (const [i, o] of ops.entries()) {
    const roles = (o.op['x-roles'] as AccessRole[] | undefined) ?? ROLES;
    // Signing out (everywhere) succeeds whatever is sent, and would end the session the rest of the run uses.
    const signsOut = o.method === 'DELETE' && o.path.startsWith('/api/sessions');
    const hasInput = !!o.op.requestBody || !!o.op.parameters?.length;
    const numRuns = Math.ceil(SCALE * (4 + (o.op.requestBody ? 10 : 0) + (o.op.parameters?.length ? 4 : 0) + (hasInput ? 0 : -1)));
    const arb = fc.tuple(requestsFor(o.path, o.op, pools), fc.constantFrom(...roles), fc.constantFrom<How>('bearer', 'bearer', 'cookie', 'cookie', 'cookie without its CSRF token'));
    const found: string[] = [];
    const run = await fc.check(
      fc.asyncProperty(arb, async ([r, role, how]) => {
        for (const as of signsOut ? [undefined] : [undefined, { role, how }]) {
          const problem = await check(o, r, as);
          if (problem) {
            found.push(problem);
            return false;
          }
        }
        return true;
      }),
      { seed: SEED + i, numRuns, endOnFailure: true },
    );
    if (run.failed) failures.push(`${found.at(-1) ?? run.errorInstance}\n  (seed ${SEED + i}, path ${run.counterexamplePath})`);
  }

  const classes = [2, 3, 4, 5].map((c) => `${c}xx ${[...byStatus].filter(([s]) => Math.floor(s / 100) === c).reduce((n, [, k]) => n + k, 0)}`).join(', ');
  const statuses = [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
  console.log(
    `[bad-input] ${sent} requests to ${covered.size} of ${ops.length} operations: ${classes} (${statuses}); ` +
      `${refusedWritesChecked} refused writes checked against the row counts of ${tables.length} tables (background writes of accepted ones settled within ${longestSettle} ms); ${failures.length} failure(s)`,
  );
  if (process.env.BAD_INPUT_VERBOSE) {
    const line = ([name, statuses]: [string, number[]]) => `${name}: ${[...new Set(statuses)].sort().map((st) => `${st} x${statuses.filter((x) => x === st).length}`).join(', ')}`;
    console.log(`[bad-input] by operation:\n${[...perOperation].map(line).join('\n')}`);
  }
  expect(failures).toEqual([]);
  expect(sent).toBeGreaterThanOrEqual(1_000);
  expect(covered.size).toBe(ops.length);
}, 240_000 * SCALE);

// ---- Written out ---------------------------------------------------------------------------

/** Sends `request` and checks the answer is the refusal expected, in the error shape, and that no row changed. */
async function refused(request: () => Promise<Answer>, status: number, code?: string): Promise<Answer> {
  const before = await counts();
  const a = await request();
  expect({ status: a.status, shape: inErrorShape(a), ...(code ? { code: a.json?.error?.code } : {}) }).toEqual({ status, shape: true, ...(code ? { code } : {}) });
  expect(await rowsChanged(before, await counts())).toEqual([]);
  return a;
}
const postDraft = (body: string | Buffer, headers: Record<string, string> = json) => send('POST', '/api/drafts', { headers: { ...office.auth, ...headers }, body });

test('a body over the JSON limit is a 413 in the error shape, and nothing is stored', async () => {
  const big = JSON.stringify(lumbarMri(nebhp[0]!, { clinicalHistory: 'x'.repeat(150_000) }));
  const a = await refused(() => postDraft(big), 413, 'body_too_large');
  expect(a.json.error.message).toMatch(/larger than the 102400 byte limit/);
  // The password reset page's form has its own, smaller limit.
  await refused(() => send('POST', '/api/password-resets/complete', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'x'.repeat(20_000)}` }), 413, 'body_too_large');
});

test('a body that is not JSON is a 415, whatever it claims to be', async () => {
  const body = JSON.stringify({ memberId: nebhp[0] });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/vnd.api+json']) {
    const a = await refused(() => postDraft(body, { 'content-type': type }), 415, 'unsupported_media_type');
    expect(a.json.error.message).toBe('Send the body as JSON with Content-Type: application/json');
  }
  await refused(() => postDraft(body, {}), 415, 'unsupported_media_type');
  await refused(() => postDraft(Buffer.from(body, 'latin1'), { 'content-type': 'application/json; charset=latin1' }), 415, 'unsupported_encoding');
  await refused(() => postDraft(body, { ...json, 'content-encoding': 'compress' }), 415, 'unsupported_encoding');
});

test('broken JSON, JSON of another type and a compressed body that is not compressed are 400s that say so', async () => {
  for (const broken of ['{"memberId": ', "{'memberId': 'x'}", '{"memberId": "x",}', 'NaN', '{"a":1}{"b":2}', 'null', '"text"']) {
    const a = await refused(() => postDraft(broken), 400, 'invalid_json');
    expect(a.json.error.message).toBe('The request body is not valid JSON');
  }
  const list = await refused(() => postDraft('[{"memberId": "x"}]'), 400, 'validation_failed');
  expect(list.json.error.details.problems).toEqual([{ field: 'body', message: 'The draft must be a JSON object' }]);
  // Said to be gzip, and it is not: the body cannot be read (this was a 500).
  const a = await refused(() => postDraft(JSON.stringify({ memberId: nebhp[0] }), { ...json, 'content-encoding': 'gzip' }), 400, 'unreadable_request');
  expect(a.json.error.message).toMatch(/^The request could not be read/);
  // Truly gzip is read as any body.
  const gz = await postDraft(gzipSync(JSON.stringify({ memberId: nebhp[0] })), { ...json, 'content-encoding': 'gzip' });
  expect(gz.status).toBe(201);
});

test('a malformed percent-escape in the address is a 400 that says so (this was a 500)', async () => {
  for (const path of ['/api/drafts/%E0%A4%A', '/api/cases/%zz', '/api/codes/ICD10CM/%C0%AF', '/api/registrations/%']) {
    const a = await refused(() => send('GET', path, { headers: office.auth }), 400, 'invalid_path');
    expect(a.json.error.message).toMatch(/^The address is not valid: Failed to decode param/);
  }
  await refused(() => send('POST', '/api/drafts/%E0%A4%A/submit', { headers: office.auth }), 400, 'invalid_path');
});

/** Text an office may really type: accents, scripts, emoji, marks, invisible characters, tabs and line breaks, stray control characters. */
const UNICODE_TEXT = 'Zoë Ærøskøbing — 日本語 مرحبا \u202Eevil\u202C e\u0301\u0302 👩‍⚕️🏥 \u200B\u200D\uFEFF\ttab\nline\r\n\u0001\u0008\u001B[31m\u001F\u007F\u0085\u2028\u2029 end';
const SQL = `'; DROP TABLE "Draft"; -- ' OR '1'='1' UNION SELECT "passwordHash" FROM "User" --`;
const HTML = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">"><svg onload=alert(1)>&amp;&lt;`;

test('unicode and control characters are stored and read back exactly; NUL and unpaired surrogates are refused by name (they were 500s)', async () => {
  const content = lumbarMri(nebhp[1]!, { symptoms: UNICODE_TEXT, clinicalHistory: UNICODE_TEXT.repeat(10) });
  const created = await api.post('/api/drafts', content, office.auth);
  expect(created.status).toBe(201);
  expect((await api.get(`/api/drafts/${created.body.draftId}`, office.auth)).body.content).toEqual(content);

  for (const [bad, what] of [['a\u0000b', 'the NUL character'], ['x\uD800y', 'an unpaired UTF-16 surrogate'], ['\uDFFF', 'an unpaired UTF-16 surrogate']] as const) {
    const a = await refused(() => postDraft(JSON.stringify(lumbarMri(nebhp[1]!, { symptoms: bad }))), 400, 'validation_failed');
    expect(a.json.error.details.problems).toEqual([{ field: 'body.exams.0.symptoms', message: `The text contains ${what}${what === 'the NUL character' ? ' (\\u0000)' : ' (not Unicode text)'}: remove it` }]);
    // Anywhere: a key of the answers, a search, a path, the registration form (checked against the roster before its schema).
    await refused(() => postDraft(JSON.stringify(lumbarMri(nebhp[1]!, { answers: { [`q${bad}`]: true } }))), 400, 'validation_failed');
    await refused(() => send('POST', '/api/registrations/validate', { headers: json, body: JSON.stringify({ application: { tins: ['04-1234567'], planIds: [`NEBHP${bad}`] } }) }), 400, 'validation_failed');
  }
  await refused(() => send('GET', '/api/codes?q=knee%00pain'), 400, 'validation_failed');
  await refused(() => send('GET', '/api/members/%00%00%00', { headers: office.auth }), 400, 'validation_failed');
  await refused(() => send('POST', '/api/sessions', { headers: json, body: JSON.stringify({ login: 'someone\u0000', password: 'x', hipaaDisclaimerAccepted: '1' }) }), 400, 'validation_failed');
});

test('SQL and HTML in a draft and a note are stored and read back unchanged, and the portal shows them as text', async () => {
  const member = aMember();
  const content = lumbarMri(member, { symptoms: SQL, clinicalHistory: HTML });
  const created = await api.post('/api/drafts', { ...content, memberId: `<b>x</b>' OR 1=1--` }, office.auth);
  expect(created.status).toBe(201);
  expect(created.body.content.exams[0]).toMatchObject({ symptoms: SQL, clinicalHistory: HTML });
  // The office's own text comes back in the problem, verbatim (JSON is no markup).
  expect(created.body.review.problems).toContainEqual({ field: 'memberId', message: `No member <b>x</b>' OR 1=1-- in your health plans: check the id on the member's card` });
  const found = await api.get(`/api/codes?q=${encodeURIComponent(SQL.slice(0, 100))}`);
  expect(found.status).toBe(200);
  expect(await stack.prisma.draft.count({ where: { id: created.body.draftId } })).toBe(1);

  const submitted = await submitLumbarMri(api, office.auth, { memberId: aMember(), answers: LUMBAR_NOT_MET, symptoms: HTML });
  const note = `${SQL}\n${HTML}`;
  expect((await api.post(`/api/cases/${submitted.caseNumber}/additional-information`, { text: note }, office.auth)).status).toBe(200);
  const c = await api.get(`/api/cases/${submitted.caseNumber}`, office.auth);
  expect(c.body.additionalInformation.map((i: { text: string }) => i.text)).toEqual([note]);

  // The portal builds its pages from text nodes: the strings show as typed and no element comes of them.
  const browser = await launchBrowser();
  try {
    const { context, page } = await newPage(browser, stack.baseUrl);
    await context.addCookies([{ name: 'pa_session', value: callers.PROVIDER.cookie.token, url: stack.baseUrl }]);
    const markupFromText = async () => ({
      elements: (await page.locator('script:not([src]), img[src="x"], svg[onload]').count()) + (await page.locator('b', { hasText: /^x$/ }).count()),
      ran: await page.evaluate(() => (globalThis as { __xss?: number }).__xss ?? null),
    });
    await page.goto(`/requests/${created.body.draftId}`);
    await page.locator('textarea[name="exams.0.clinicalHistory"]').waitFor();
    expect(await page.locator('textarea[name="exams.0.symptoms"]').inputValue()).toBe(SQL);
    expect(await page.locator('textarea[name="exams.0.clinicalHistory"]').inputValue()).toBe(HTML);
    await expect(page.locator('main').innerText()).resolves.toContain(`No member <b>x</b>' OR 1=1-- in your health plans`);
    expect(await markupFromText()).toEqual({ elements: 0, ran: null });
    await page.goto(`/cases/${submitted.caseNumber}`);
    await page.locator('blockquote').first().waitFor();
    await expect(page.locator('blockquote p').first().textContent()).resolves.toBe(note);
    expect(await markupFromText()).toEqual({ elements: 0, ran: null });
    expect(errorsOf(page)).toEqual([]);
  } finally {
    await browser.close();
  }

  // The one server-written page that shows what was sent (the password form, again with its problems) escapes it.
  expect((await api.post('/api/password-resets', { login: office.username })).status).toBe(202);
  const mail = (await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === 'Reset your provider portal password' }))[0]!;
  const token = new URL(mail.links.find((l) => l.includes('token='))!).searchParams.get('token')!;
  const form = new URLSearchParams({ token, username: HTML, password: 'short', passwordConfirmation: 'other' });
  const shown = await send('POST', '/api/password-resets/complete', { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: form.toString() });
  expect(shown.status).toBe(400);
  expect(shown.text).not.toContain('<script>window.__xss');
  expect(shown.text).not.toContain('<img src=x');
  expect(shown.text).toContain('value="&#60;script&#62;window.__xss=1&#60;/script&#62;&#60;img src=x onerror=&#34;window.__xss=2&#34;&#62;');
});

test('negative, fractional and huge numbers are 400s (or a plain 404 or 409), never 500s', async () => {
  const draft = await api.post('/api/drafts', lumbarMri(nebhp[2]!), office.auth);
  const put = (revision: unknown) => () => send('PUT', `/api/drafts/${draft.body.draftId}`, { headers: { ...office.auth, ...json }, body: JSON.stringify({ revision, content: {} }) });
  // 2 ** 31 passed as a whole number and failed at the database (a 500).
  for (const revision of [-1, 0, 1.5, '1', null, 2 ** 31, 2 ** 53 - 1, 1e308]) {
    const a = await refused(put(revision), 400, 'validation_failed');
    expect(new Set(a.json.error.details.problems.map((p: object) => JSON.stringify(p)))).toEqual(new Set([JSON.stringify({ field: 'body.revision', message: 'revision must be the revision number you edited (a whole number from 1)' })]));
  }
  await refused(put(7), 409, 'stale_revision');
  for (const units of [-5, 0, 0.5, 201, 1e308]) {
    await refused(() => postDraft(JSON.stringify(lumbarMri(nebhp[2]!, { requestedUnits: units }))), 400, 'validation_failed');
  }
  for (const limit of ['-1', '0', '1e400', '99999999999999999999', 'NaN', '']) await refused(() => send('GET', `/api/codes?q=knee&limit=${limit}`), 400, 'validation_failed');
  const SUPPORT = callers.SUPPORT.bearer;
  for (const inStateFor of ['-1h', '1.5h', '2w']) {
    await refused(() => send('GET', `/api/support/workflows?inStateFor=${inStateFor}`, { headers: SUPPORT }), 400, 'validation_failed');
  }
  // More than a date can go back (this was a 500).
  const long = await refused(() => send('GET', '/api/support/workflows?inStateFor=99999999999999999d', { headers: SUPPORT }), 400, 'validation_failed');
  expect(long.json.error.details.problems).toEqual([{ field: 'query.inStateFor', message: 'a duration of at most 3650d (ten years)' }]);
  await refused(() => send('POST', '/api/support/problems/999999999999999999/resolve', { headers: { ...SUPPORT, ...json }, body: JSON.stringify({ note: 'fixed by hand' }) }), 404);
  await refused(() => send('POST', '/api/support/problems/9999999999999999999/resolve', { headers: { ...SUPPORT, ...json }, body: JSON.stringify({ note: 'fixed by hand' }) }), 400);
  const { caseNumber } = await submitLumbarMri(api, office.auth, { memberId: aMember(), answers: LUMBAR_NOT_MET });
  for (const exam of ['-1', '0', '1e400', '99999999999999999999']) await refused(() => send('POST', `/api/cases/${caseNumber}/exams/${exam}/extension`, { headers: office.auth }), 400);
  for (const exams of [[-1], [1e308], [1.5]]) {
    await refused(() => send('POST', `/api/cases/${caseNumber}/cancel`, { headers: { ...office.auth, ...json }, body: JSON.stringify({ reason: 'changed our mind', exams }) }), 400);
  }
});

test('impossible dates are refused or reported as not dates, never 500s', async () => {
  for (const date of ['2026-02-30', '2026-02-29', '0000-00-00', '2026-13-01']) {
    const d = await api.post('/api/drafts', { ...lumbarMri(nebhp[3]!), dateOfService: date }, office.auth);
    expect(d.status).toBe(201);
    expect(d.body.review.problems).toContainEqual({ field: 'dateOfService', message: `"${date}" is not a date: write it as YYYY-MM-DD, for example 2026-12-01` });
  }
  await refused(() => postDraft(JSON.stringify({ ...lumbarMri(nebhp[3]!), dateOfService: '99999-01-01' })), 400, 'validation_failed');
  for (const date of ['2026-02-30', '0000-00-00', '99999-01-01']) {
    await refused(() => send('GET', `/api/guidelines?procedureCode=72148&planId=NEBHP&dateOfService=${date}`), 400, 'validation_failed');
  }
  const SUPPORT = callers.SUPPORT.bearer;
  for (const at of ['2026-02-30T00:00:00Z', '0000-00-00T00:00:00Z', '99999-01-01T00:00:00Z', '2026-01-01T25:00:00Z']) {
    await refused(() => send('GET', `/api/support/audit?from=${encodeURIComponent(at)}`, { headers: SUPPORT }), 400, 'validation_failed');
  }
  // A real ISO date, but of no year PostgreSQL keeps (this was a 500).
  const year0 = await refused(() => send('GET', '/api/support/audit?from=0000-01-01T00:00:00Z', { headers: SUPPORT }), 400, 'validation_failed');
  expect(year0.json.error.details.problems).toEqual([{ field: 'query.from', message: 'from must be in the year 1 or later' }]);
  expect((await send('GET', '/api/support/audit?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&limit=1', { headers: SUPPORT })).status).toBe(200);
  const { caseNumber } = await submitLumbarMri(api, office.auth, { memberId: aMember(), answers: LUMBAR_NOT_MET });
  const windows = (start: string) => JSON.stringify({ windows: [{ start, end: '2026-12-01T11:00:00Z' }, { start: '2026-12-02T10:00:00Z', end: '2026-12-02T11:00:00Z' }] });
  for (const start of ['2026-02-30T10:00:00Z', '99999-01-01T00:00:00Z']) {
    await refused(() => send('POST', `/api/cases/${caseNumber}/peer-to-peer/windows`, { headers: { ...office.auth, ...json }, body: windows(start) }), 400, 'validation_failed');
  }
});

test('the same draft sent at the same moment with one Idempotency-Key is one draft; the key with another request is refused', async () => {
  const key = randomUUID();
  const content = lumbarMri(nebhp[4]!);
  const answers = await Promise.all(Array.from({ length: 5 }, () => api.post('/api/drafts', content, { ...office.auth, 'Idempotency-Key': key })));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 201]);
  const ids = new Set(answers.map((a) => a.body.draftId));
  expect(ids.size).toBe(1);
  const [draftId] = [...ids];
  expect(await stack.prisma.draft.count({ where: { userId: office.userId, idempotencyKey: key } })).toBe(1);
  expect(await stack.prisma.auditEvent.count({ where: { action: 'draft.created', subjectId: draftId } })).toBe(1);
  expect(answers[0]!.body).toMatchObject({ draftId, status: 'OPEN', content, review: { ready: true } });

  // A retry later, with the keys in another order, is the same request.
  const { exams, ...rest } = content;
  const retry = await api.post('/api/drafts', { exams, ...rest }, { ...office.auth, 'Idempotency-Key': key });
  expect({ status: retry.status, draftId: retry.body.draftId }).toEqual({ status: 200, draftId });
  const other = await refused(() => postDraft(JSON.stringify({ ...content, urgency: 'URGENT' }), { ...json, 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
  expect(other.json.error.message).toBe(`This Idempotency-Key was used for a different request (draft ${draftId}): send a new key with a new request, or the same request again to get that draft`);
  // Keys are the caller's own: another office's same key is its own draft.
  const colleague = await signedInOffice(stack.baseUrl, stack.mailbox);
  const theirs = await api.post('/api/drafts', content, { ...colleague.auth, 'Idempotency-Key': key });
  expect(theirs.status).toBe(201);
  expect(theirs.body.draftId).not.toBe(draftId);

  for (const bad of ['x'.repeat(201), 'clé', '']) {
    const a = await refused(() => postDraft(JSON.stringify(content), { ...json, 'Idempotency-Key': bad }), 400, 'validation_failed');
    expect(a.json.error.details.problems).toEqual([{ field: 'header.Idempotency-Key', message: 'Idempotency-Key must be 1 to 200 printable ASCII characters, such as a UUID you generate for the request' }]);
  }
  const doc = (await api.get('/openapi.json')).body;
  expect(doc.paths['/api/drafts'].post.parameters).toEqual([
    expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false, schema: expect.objectContaining({ type: 'string', pattern: expect.any(String) }) }),
  ]);
});

test('the same draft submitted twice at the same moment is one case, and both answers carry its number', async () => {
  const draft = await api.post('/api/drafts', lumbarMri(aMember()), office.auth);
  const cases = () => stack.prisma.case.count({ where: { draftId: draft.body.draftId } });
  expect(await cases()).toBe(0);
  const [a, b] = await Promise.all([0, 1].map(() => api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth)));
  expect([a!.status, b!.status].every((s) => s === 200 || s === 201)).toBe(true);
  expect(a!.body.caseNumber).toMatch(/^PA-\d{4}-\d{4}-\d{3}$/);
  expect(b!.body.caseNumber).toBe(a!.body.caseNumber);
  expect(await cases()).toBe(1);
  // Again later: the same case, 200.
  const again = await api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth);
  expect({ status: again.status, caseNumber: again.body.caseNumber }).toEqual({ status: 200, caseNumber: a!.body.caseNumber });
  expect(await cases()).toBe(1);
});
