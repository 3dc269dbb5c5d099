import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * Who may call what, for every endpoint the server documents (the route registry is the one list
 * of endpoints, and /openapi.json is generated from it): public endpoints are exactly the ones
 * listed here; every other endpoint refuses a caller without credentials and a caller with the
 * wrong kind of credentials (an office session, the support token, the staff token) before its
 * handler runs. Cross-office reads of drafts and cases are tested in their own files.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
const SUPPORT_TOKEN = 'support-token-for-access-tests';
const STAFF_TOKEN = 'staff-token-for-access-tests';
let credentials: Record<'none' | 'session' | 'support' | 'staff', Record<string, string>>;

beforeAll(async () => {
  stack = await startStack({ SUPPORT_API_TOKEN: SUPPORT_TOKEN, STAFF_API_TOKEN: STAFF_TOKEN });
  api = apiClient(stack.baseUrl);
  const office = await signedInOffice(stack.baseUrl, stack.mailbox);
  credentials = {
    none: {},
    session: office.auth,
    support: { authorization: `Bearer ${SUPPORT_TOKEN}`, 'x-support-user': 'sam.support' },
    staff: { authorization: `Bearer ${STAFF_TOKEN}`, 'x-staff-user': 'nina.nurse', 'x-staff-role': 'NURSE' },
  };
});
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

const SAMPLE: Record<string, string> = {
  caseNumber: 'PA-0000-0000-000',
  exam: '1',
  tin: '04-1234567',
  system: 'ICD10CM',
  code: 'M5450',
  memberId: 'NEB100000001',
  queue: 'nurse',
};
const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE[name] ?? '00000000-0000-4000-8000-000000000000');

type Kind = keyof typeof credentials;
interface Endpoint {
  method: string;
  path: string;
  allowed: Kind[];
}

async function endpoints(): Promise<Endpoint[]> {
  const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> };
  const schemes: Record<string, Kind> = { sessionBearer: 'session', sessionCookie: 'session', supportToken: 'support', staffToken: 'staff' };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      allowed: op.security ? [...new Set(op.security.flatMap((s) => Object.keys(s).map((k) => schemes[k]!)))] : (['none', 'session', 'support', 'staff'] as Kind[]),
    })),
  );
}

test('the public endpoints are exactly the listed ones; every other endpoint declares who may call it', async () => {
  const all = await endpoints();
  const open = all.filter((e) => e.allowed.includes('none')).map((e) => `${e.method} ${e.path}`);
  expect(open.sort()).toEqual([...PUBLIC].sort());
  expect(all.length).toBeGreaterThan(PUBLIC.size + 20);
});

test('every protected endpoint refuses callers without the right kind of credentials (a row per endpoint and caller)', async () => {
  const rows: string[] = [];
  for (const e of await endpoints()) {
    if (e.allowed.includes('none')) continue;
    for (const kind of ['none', 'session', 'support', 'staff'] as Kind[]) {
      if (e.allowed.includes(kind)) continue;
      const res = await fetch(`${stack.baseUrl}${fill(e.path)}`, {
        method: e.method,
        headers: { 'content-type': 'application/json', ...credentials[kind] },
        body: e.method === 'GET' || e.method === 'DELETE' ? undefined : '{}',
      });
      rows.push(`${e.method} ${e.path} as ${kind}: ${res.status}`);
    }
  }
  expect(rows.length).toBeGreaterThan(60);
  expect(rows.filter((r) => !r.endsWith(': 401'))).toEqual([]);
});

test('the right credentials pass the guard of every protected read', async () => {
  const rows: string[] = [];
  for (const e of await endpoints()) {
    if (e.method !== 'GET' || e.allowed.includes('none')) continue;
    for (const kind of e.allowed) {
      const res = await fetch(`${stack.baseUrl}${fill(e.path)}`, { headers: credentials[kind] });
      rows.push(`${e.method} ${e.path} as ${kind}: ${res.status}`);
    }
  }
  expect(rows.length).toBeGreaterThan(8);
  // Sample ids may not exist (404) or be refused for their content, but never for who asks.
  expect(rows.filter((r) => / (401|403)$/.test(r))).toEqual([]);
});
