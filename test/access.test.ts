import { randomUUID } from 'node:crypto';
import { ACCESS_ROLES, type AccessRole } from '../domain/access';
import { fixtures, members } from '../prisma/seed/reference';
import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { firstAdmin, signedInStaff } from './support/staff';
import { startStack, type TestStack } from './support/stack';

/**
 * Who may call what, for every endpoint the server documents (the route registry is the one list
 * of endpoints, and /openapi.json with its `x-roles` is generated from it), called as every role
 * with a real account: a caller without a session gets 401, a role the endpoint does not list
 * gets 403 before the handler runs, and a listed role passes the guard. Then scope: another
 * office, and reviewers of another plan, get 404 for office A's case and draft by id, on reads
 * and writes alike.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
type Caller = 'none' | AccessRole;
let auth: Record<Caller, Record<string, string>>;
/** Signed in like `auth`, but outside office A's scope: another office; reviewers of another plan. */
let outside: Partial<Record<AccessRole, Record<string, string>>>;
let sample: Record<string, string>;

const today = new Date().toISOString().slice(0, 10);
const nebhp = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id);
// A member's active order joins later requests for them (the duplicate rule), and suites share
// the database: cases.test.ts takes members from the start, replay.test.ts from the end.
const [caseMember, draftMember] = [nebhp[30]!, nebhp[31]!];

beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
  const admin = await firstAdmin(stack);
  const [officeA, officeB, nurse, physician, supervisor, support, nurseB, physicianB, supervisorB] = await Promise.all([
    signedInOffice(stack.baseUrl, stack.mailbox),
    // Lakeshore Imaging Center LLC: another organization, TIN and plan.
    signedInOffice(stack.baseUrl, stack.mailbox, (r) => {
      r.user.organization.name = 'Lakeshore Imaging Center LLC';
      r.application.tins = ['36-1112222'];
      r.application.planIds = ['GLCH'];
    }),
    signedInStaff(stack, admin, 'NURSE', ['NEBHP']),
    signedInStaff(stack, admin, 'PHYSICIAN', ['NEBHP']),
    signedInStaff(stack, admin, 'SUPERVISOR', ['NEBHP']),
    signedInStaff(stack, admin, 'SUPPORT'),
    signedInStaff(stack, admin, 'NURSE', ['GLCH']),
    signedInStaff(stack, admin, 'PHYSICIAN', ['GLCH']),
    signedInStaff(stack, admin, 'SUPERVISOR', ['GLCH']),
  ]);
  auth = { none: {}, PROVIDER: officeA.auth, NURSE: nurse.auth, PHYSICIAN: physician.auth, SUPERVISOR: supervisor.auth, SUPPORT: support.auth, ADMIN: admin.auth };
  outside = { PROVIDER: officeB.auth, NURSE: nurseB.auth, PHYSICIAN: physicianB.auth, SUPERVISOR: supervisorB.auth };

  // Office A's case (pended for a nurse) and an open draft: the ids every scope row tries.
  const request = (memberId: string) => ({
    memberId,
    orderingProviderNpi: fixtures.harborviewPhysician,
    urgency: 'STANDARD',
    dateOfService: new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10),
    exams: [{ procedureCode: '72148', diagnosisCodes: ['M54.16'], servicingProviderNpi: fixtures.bostonMriFacility, answers: { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false, symptomPattern: 'radiculopathy', conservativeCare: false } }],
  });
  const submitted = (await api.post('/api/drafts', request(caseMember), officeA.auth)).body;
  const opened = await api.post(`/api/drafts/${submitted.draftId}/submit`, {}, officeA.auth);
  expect(opened.status).toBe(201);
  const open = (await api.post('/api/drafts', request(draftMember), officeA.auth)).body;
  sample = {
    caseNumber: opened.body.caseNumber,
    draftId: open.draftId,
    exam: '1',
    userId: officeA.userId,
    registrationId: officeA.userId,
    memberId: nebhp[0]!,
    tin: '04-1234567',
    system: 'ICD10CM',
    code: 'M5450',
  };
}, 120_000);
afterAll(() => stack.stop());

/** Anyone may call these: a new public endpoint must be added here on purpose. */
const PUBLIC = new Set([
  'GET /healthz',
  'GET /openapi.json',
  'POST /api/system-checks',
  'GET /api/system-checks/{checkId}',
  'GET /api/system-checks/{checkId}/confirm',
  'GET /api/registration-options',
  'GET /api/roster/tins/{tin}/health-plans',
  'POST /api/registrations/validate',
  'POST /api/registrations',
  'GET /api/registrations/verify-email',
  'GET /api/registrations/{registrationId}',
  'POST /api/registrations/{registrationId}/access-key',
  'GET /api/hipaa-disclaimer',
  'POST /api/sessions',
  'POST /api/sessions/mfa',
  'POST /api/sessions/mfa/email-code',
  'POST /api/password-resets',
  'GET /api/password-resets/complete',
  'POST /api/password-resets/complete',
  'POST /api/identity-confirmations',
  'POST /api/identity-confirmations/{confirmationId}',
  'GET /api/codes',
  'GET /api/codes/{system}/{code}',
  'GET /api/health-plans',
  'GET /api/guidelines',
]);

/** Who may call what, as the product promises it: the document must say exactly this. */
const EXPECTED_ROLES: Record<string, Caller[]> = {
  'GET /api/me': [...ACCESS_ROLES],
  'DELETE /api/sessions': [...ACCESS_ROLES],
  'DELETE /api/sessions/current': [...ACCESS_ROLES],
  'GET /api/providers': [...ACCESS_ROLES],
  'POST /api/me/health-plans': ['PROVIDER'],
  'GET /api/members/{memberId}': ['PROVIDER', 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT'],
  'GET /api/review/queues/nurse': ['NURSE', 'SUPERVISOR'],
  'GET /api/review/queues/physician': ['PHYSICIAN', 'SUPERVISOR'],
  'GET /api/review/queues/peer-to-peer': ['PHYSICIAN', 'SUPERVISOR'],
  'GET /api/review/queues/supervisor': ['SUPERVISOR'],
  'GET /api/review/cases/{caseNumber}': ['NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT'],
  'POST /api/review/cases/{caseNumber}/claim': ['NURSE', 'PHYSICIAN'],
  'POST /api/review/cases/{caseNumber}/release': ['NURSE', 'PHYSICIAN'],
  'POST /api/review/cases/{caseNumber}/nurse-decision': ['NURSE'],
  'POST /api/review/cases/{caseNumber}/physician-decision': ['PHYSICIAN'],
  'POST /api/review/cases/{caseNumber}/peer-to-peer-outcome': ['PHYSICIAN'],
  'GET /api/support/registrations': ['SUPPORT', 'ADMIN'],
  'POST /api/support/registrations/{registrationId}/decision': ['SUPPORT', 'ADMIN'],
  'POST /api/support/users/{userId}/password-reset': ['SUPPORT', 'ADMIN'],
  'GET /api/support/audit': ['SUPPORT', 'ADMIN'],
  'POST /api/support/cases/{caseNumber}/assignee': ['SUPPORT', 'SUPERVISOR'],
};
/** Endpoints not listed above are an office's own (drafts, cases), support's console, or an administrator's. */
const defaultRoles = (path: string): Caller[] => (path.startsWith('/api/admin/') ? ['ADMIN'] : path.startsWith('/api/support/') ? ['SUPPORT'] : ['PROVIDER']);

interface Endpoint {
  method: string;
  path: string;
  roles: Caller[];
}

async function endpoints(): Promise<Endpoint[]> {
  const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, { 'x-roles'?: AccessRole[]; security?: unknown[] }>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, roles: op['x-roles'] ?? (['none', ...ACCESS_ROLES] as Caller[]) })),
  );
}
const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? randomUUID());
/**
 * Valid bodies for the writes on a case or draft, so that a refusal there is the scope's, not
 * the body's: each would change office A's case or draft if the caller were allowed to.
 */
const VALID: Record<string, object> = {
  'PUT /api/drafts/{draftId}': { revision: 1, content: { memberId: 'NEB100000001' } },
  'POST /api/cases/{caseNumber}/additional-information': { text: 'Eight weeks of physical therapy, no improvement' },
  'POST /api/cases/{caseNumber}/exams/{exam}/servicing-provider': { npi: fixtures.bostonMriFacility },
  'POST /api/cases/{caseNumber}/cancel': { reason: 'No longer needed' },
  'POST /api/cases/{caseNumber}/peer-to-peer/windows': {
    windows: [1, 2].map((d) => ({ start: new Date(Date.now() + d * 86_400_000).toISOString(), end: new Date(Date.now() + d * 86_400_000 + 3_600_000).toISOString() })),
  },
  'POST /api/review/cases/{caseNumber}/nurse-decision': { action: 'APPROVE', exams: [1] },
  'POST /api/review/cases/{caseNumber}/physician-decision': { action: 'APPROVE', exams: [1] },
  'POST /api/review/cases/{caseNumber}/peer-to-peer-outcome': { outcome: 'NOT_REACHED', note: 'No answer in either window' },
  'POST /api/support/cases/{caseNumber}/assignee': { username: null, reason: 'Covering the queue today' },
};
const call = (e: Endpoint, headers: Record<string, string>, body: object = VALID[`${e.method} ${e.path}`] ?? {}) =>
  fetch(`${stack.baseUrl}${fill(e.path)}`, {
    method: e.method,
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: e.method === 'GET' || e.method === 'DELETE' ? undefined : JSON.stringify(body),
  });

test('every endpoint declares who may call it, and the document says what the product promises', async () => {
  const all = await endpoints();
  const open = all.filter((e) => e.roles.includes('none')).map((e) => `${e.method} ${e.path}`);
  expect(open.sort()).toEqual([...PUBLIC].sort());
  const declared = Object.fromEntries(all.filter((e) => !e.roles.includes('none')).map((e) => [`${e.method} ${e.path}`, [...e.roles].sort()]));
  const promised = Object.fromEntries(Object.keys(declared).map((k) => [k, [...(EXPECTED_ROLES[k] ?? defaultRoles(k.split(' ')[1]!))].sort()]));
  expect(declared).toEqual(promised);
  for (const k of Object.keys(EXPECTED_ROLES)) expect(Object.keys(declared)).toContain(k);
  expect(all.length).toBeGreaterThan(PUBLIC.size + 30);
});

test('every role against every endpoint: 401 without a session, 403 for a role not listed, the guard passed for a listed one', async () => {
  const rows: string[] = [];
  const wrong: string[] = [];
  for (const e of await endpoints()) {
    if (e.roles.includes('none')) continue;
    for (const caller of ['none', ...ACCESS_ROLES] as Caller[]) {
      const allowed = e.roles.includes(caller);
      // Writes by a listed role change things: the case and admin suites exercise those.
      if (allowed && e.method !== 'GET') continue;
      const res = await call(e, auth[caller]);
      const row = `${e.method} ${e.path} as ${caller}: ${res.status}`;
      rows.push(row);
      const ok = allowed ? ![401, 403].includes(res.status) && res.status < 500 : res.status === (caller === 'none' ? 401 : 403);
      if (!ok) wrong.push(row);
    }
  }
  expect(rows.length).toBeGreaterThan(250);
  expect(wrong).toEqual([]);
});

test("another office, and reviewers of another plan, get 404 for office A's case and draft, on reads and writes", async () => {
  const rows: string[] = [];
  const wrong: string[] = [];
  for (const e of await endpoints()) {
    if (!/\{(caseNumber|draftId)\}/.test(e.path)) continue;
    for (const role of Object.keys(outside) as AccessRole[]) {
      if (!e.roles.includes(role)) continue;
      const res = await call(e, outside[role]!);
      const row = `${e.method} ${e.path} as ${role} outside: ${res.status}`;
      rows.push(row);
      if (res.status !== 404) wrong.push(row);
    }
  }
  expect(rows.length).toBeGreaterThanOrEqual(15);
  expect(wrong).toEqual([]);

  // Nothing was done to the case or the draft: the case still waits for its first nurse review,
  // claimed by nobody and with no information added; the draft is open at its first revision.
  const c = await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: sample.caseNumber } });
  expect(c).toMatchObject({ status: 'PENDED_NURSE', assignedTo: null });
  const view = (await api.get(`/api/cases/${sample.caseNumber}`, auth.PROVIDER)).body;
  expect(view.additionalInformation).toEqual([]);
  expect(view.exams[0].status).toBe('PENDED');
  expect(await stack.prisma.draft.findUniqueOrThrow({ where: { id: sample.draftId } })).toMatchObject({ status: 'OPEN', revision: 1 });
});

test('inside the scope: the office, its plan\'s reviewers and support see the case; lists and queues hold only what is in scope', async () => {
  const n = sample.caseNumber!;
  expect((await api.get(`/api/cases/${n}`, auth.PROVIDER)).status).toBe(200);
  for (const who of ['NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT'] as const) {
    expect([who, (await api.get(`/api/review/cases/${n}`, auth[who])).status]).toEqual([who, 200]);
  }
  const numbers = (body: { cases: { caseNumber: string }[] }) => body.cases.map((c) => c.caseNumber);
  expect(numbers((await api.get('/api/cases', auth.PROVIDER)).body)).toContain(n);
  expect(numbers((await api.get('/api/cases', outside.PROVIDER!)).body)).not.toContain(n);
  expect(numbers((await api.get('/api/review/queues/nurse', auth.NURSE)).body)).toContain(n);
  expect(numbers((await api.get('/api/review/queues/nurse', outside.NURSE!)).body)).not.toContain(n);
  const foreignPlan = await api.get('/api/review/queues/nurse?planId=NEBHP', outside.NURSE!);
  expect(foreignPlan.status).toBe(403);
  expect(foreignPlan.body.error.message).toBe('You are not assigned to health plan NEBHP: your plans are GLCH');
  // A member of another plan is not found for an office or a reviewer of that plan.
  expect((await api.get(`/api/members/${sample.memberId}`, outside.PROVIDER!)).status).toBe(404);
  expect((await api.get(`/api/members/${sample.memberId}`, outside.NURSE!)).status).toBe(404);
  // Support inspects but never decides.
  const decided = await api.post(`/api/review/cases/${n}/nurse-decision`, { action: 'APPROVE', exams: [1] }, auth.SUPPORT);
  expect(decided.status).toBe(403);
  expect(decided.body.error.message).toBe('This is for a nurse reviewer; you are signed in as a support staff');
});
