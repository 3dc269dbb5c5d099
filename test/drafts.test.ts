import { fixtures } from '../prisma/seed/reference';
import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { startStack, type TestStack } from './support/stack';

/**
 * Request drafts as an office prepares them, through HTTP against the seeded reference data:
 * every problem of a draft at once, in words an office understands, and a preview of what the
 * guidelines would decide. The office is Harborview (TIN 04-1234567: plans NEBHP and GLCH).
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let office: Awaited<ReturnType<typeof signedInOffice>>;

beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
  office = await signedInOffice(stack.baseUrl, stack.mailbox, (r) => (r.application.planIds = ['NEBHP', 'GLCH']));
});
afterAll(() => stack.stop());

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const noRedFlags = {
  cancerHistory: false,
  infectionRisk: false,
  caudaEquinaSigns: false,
  progressiveDeficit: false,
  fractureSuspected: false,
  priorLumbarSurgery: false,
};

function lumbarMriDraft(answers: Record<string, unknown>) {
  return {
    memberId: fixtures.eligibleNebhpMember,
    orderingProviderNpi: fixtures.harborviewPhysician,
    urgency: 'STANDARD',
    dateOfService: inDays(14),
    exams: [
      {
        procedureCode: '72148',
        diagnosisCodes: ['M54.16'],
        symptoms: 'Pain from the low back down the left leg to the foot',
        clinicalHistory: 'Ten weeks of naproxen and supervised physical therapy without relief',
        answers,
      },
    ],
  };
}
const problemsOf = (body: any) => body.review.problems as { field: string; message: string }[];
const messageAt = (problems: { field: string; message: string }[], field: string) => problems.find((p) => p.field === field)?.message;

test('a complete draft has no problems, and its preview says it would be approved, by which rule of which guideline', async () => {
  const created = await api.post(
    '/api/drafts',
    lumbarMriDraft({ ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true }),
    office.auth,
  );
  expect(created.status).toBe(201);
  expect(created.body.review).toMatchObject({
    ready: true,
    problems: [],
    member: { memberId: fixtures.eligibleNebhpMember, healthPlan: { id: 'NEBHP' }, state: 'MA' },
    orderingProvider: { npi: fixtures.harborviewPhysician, tin: '04-1234567' },
  });
  // NEBHP, the stricter plan, has its own lumbar MRI guideline.
  expect(created.body.review.exams[0]).toMatchObject({
    procedure: { code: '72148', procedureGroup: 'LUMBAR_SPINE_MRI' },
    diagnoses: [{ display: 'M54.16', description: 'Radiculopathy, lumbar region' }],
    guideline: { id: 'IMG-LSPINE-MRI-NEBHP', version: 1 },
  });

  const preview = await api.post(`/api/drafts/${created.body.draftId}/preview`, {}, office.auth);
  expect(preview.status).toBe(200);
  expect(preview.body.exams).toEqual([
    expect.objectContaining({
      procedureCode: '72148',
      outcome: 'MET',
      guideline: { id: 'IMG-LSPINE-MRI-NEBHP', version: 1 },
      ruleIds: ['leg-symptoms-after-8-weeks-with-therapy'],
      whatHappens: expect.stringContaining('the order number is issued as soon as you choose the servicing provider'),
    }),
  ]);
  // A preview creates nothing but reads.
  expect((await api.get(`/api/drafts/${created.body.draftId}`, office.auth)).body).toMatchObject({ status: 'OPEN', revision: 1 });
});

test('the same answers under the generic guideline of another plan; too little conservative care is not met', async () => {
  const draft = {
    ...lumbarMriDraft({ ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 7 }),
    memberId: fixtures.glchMichiganMember,
  };
  const created = await api.post('/api/drafts', draft, office.auth);
  expect(created.body.review).toMatchObject({ ready: true, exams: [{ guideline: { id: 'IMG-LSPINE-MRI', version: 2 } }] });
  const met = await api.post(`/api/drafts/${created.body.draftId}/preview`, {}, office.auth);
  expect(met.body.exams[0]).toMatchObject({ outcome: 'MET', ruleIds: ['leg-symptoms-after-6-weeks'] });

  // Under NEBHP's stricter guideline, 7 weeks are not enough.
  const strict = await api.post(
    '/api/drafts',
    lumbarMriDraft({ ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 7, physicalTherapy: true }),
    office.auth,
  );
  const notMet = await api.post(`/api/drafts/${strict.body.draftId}/preview`, {}, office.auth);
  expect(notMet.body.exams[0]).toMatchObject({
    outcome: 'NOT_MET',
    ruleIds: ['under-8-weeks-conservative-care'],
    whatHappens: expect.stringContaining('Pended for clinical review'),
  });
  expect(notMet.body.exams[0].reasons[0]).toMatch(/8 weeks/);
});

test('invalid codes, an ineligible member, a physician of another practice and missing answers are reported together', async () => {
  const created = await api.post(
    '/api/drafts',
    {
      memberId: fixtures.endedMember,
      orderingProviderNpi: fixtures.lakeshoreOncologist,
      urgency: 'STANDARD',
      dateOfService: inDays(10),
      exams: [
        { procedureCode: '72148', diagnosisCodes: ['M54.99', 'M54.5', 'M54.16'], answers: { cancerHistory: 'maybe' } },
        { procedureCode: '12345', diagnosisCodes: [] },
      ],
    },
    office.auth,
  );
  expect(created.status).toBe(201);
  const problems = problemsOf(created.body);
  expect(created.body.review.ready).toBe(false);
  expect(messageAt(problems, 'memberId')).toMatch(/Robert Fitzgerald's coverage ended on September 30, 2025, before the date of service/);
  expect(messageAt(problems, 'orderingProviderNpi')).toMatch(/is not with one of your Tax IDs \(04-1234567\)/);
  expect(messageAt(problems, 'exams.0.diagnosisCodes.0')).toBe('M54.99 is not an ICD-10-CM code: search the codes by words or check for a typo');
  expect(messageAt(problems, 'exams.0.diagnosisCodes.1')).toBe(
    'M54.5 (Low back pain) is a category, not a billable code: choose a more specific one, such as M54.50, M54.51, M54.59',
  );
  expect(messageAt(problems, 'exams.0.diagnosisCodes.2')).toBeUndefined();
  expect(messageAt(problems, 'exams.1.procedureCode')).toMatch(/12345 is not a procedure of the imaging or rehabilitation programs/);
  expect(messageAt(problems, 'exams.1.diagnosisCodes')).toBe('Add at least one diagnosis (ICD-10-CM) code');

  const preview = await api.post(`/api/drafts/${created.body.draftId}/preview`, {}, office.auth);
  expect(preview.status).toBe(422);
  expect(preview.body.error.code).toBe('draft_has_problems');
  expect(preview.body.error.details.problems).toEqual(problems);
});

test('a program the plan does not run in the member’s state on the date is reported with when it starts', async () => {
  const created = await api.post(
    '/api/drafts',
    {
      memberId: fixtures.glchOhioMember,
      orderingProviderNpi: fixtures.harborviewPhysician,
      urgency: 'URGENT',
      dateOfService: inDays(7),
      exams: [
        { procedureCode: '97161', diagnosisCodes: ['M54.50'], requestedUnits: 8, servicingProviderNpi: fixtures.bostonMriFacility },
        { procedureCode: '72148', diagnosisCodes: ['M54.50'], servicingProviderNpi: fixtures.ohioRehabFacility },
      ],
    },
    office.auth,
  );
  const problems = problemsOf(created.body);
  expect(messageAt(problems, 'exams.0.procedureCode')).toBe(
    `Great Lakes Community Health does not review rehabilitation (physical, occupational and speech therapy) in OH on ${new Date(`${inDays(7)}T00:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' })}: the program starts there on January 1, 2027`,
  );
  expect(messageAt(problems, 'exams.0.servicingProviderNpi')).toMatch(/does not perform pt services/);
  expect(messageAt(problems, 'exams.1.servicingProviderNpi')).toMatch(/does not perform mri services/);
  // The imaging exam is fine as to program: only its guideline answers are missing.
  expect(problems.filter((p) => p.field === 'exams.1.procedureCode')).toEqual([]);
  expect(problems.some((p) => p.field.startsWith('exams.1.answers.'))).toBe(true);
});

test('edits name the revision they change; drafts are private; bad shapes are refused', async () => {
  const created = await api.post('/api/drafts', { memberId: fixtures.eligibleNebhpMember }, office.auth);
  const id = created.body.draftId;
  expect(messageAt(problemsOf(created.body), 'exams')).toBe('Add at least one exam');

  const put = (body: unknown, auth = office.auth) => api.put(`/api/drafts/${id}`, body, auth);
  const first = await put({ revision: 1, content: { memberId: fixtures.eligibleNebhpMember, urgency: 'URGENT' } });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ revision: 2, content: { urgency: 'URGENT' } });
  const stale = await put({ revision: 1, content: { memberId: fixtures.eligibleNebhpMember } });
  expect(stale.status).toBe(409);
  expect(stale.body.error.code).toBe('stale_revision');

  const typo = await put({ revision: 2, content: { memberID: 'x', exams: [{ procedureCode: 72148 }] } });
  expect(typo.status).toBe(400);
  expect(typo.body.error.details.problems.map((p: { field: string }) => p.field).sort()).toEqual(['body.content', 'body.content.exams.0.procedureCode']);

  const other = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.get(`/api/drafts/${id}`, other.auth)).status).toBe(404);
  expect((await put({ revision: 2, content: {} }, other.auth)).status).toBe(404);
  expect((await api.get(`/api/drafts/${id}`)).status).toBe(401);

  expect((await api.delete(`/api/drafts/${id}`, office.auth)).status).toBe(204);
  expect((await put({ revision: 2, content: {} })).status).toBe(409);
  const list = await api.get('/api/drafts?status=DISCARDED', office.auth);
  expect(list.body.drafts.map((d: { draftId: string }) => d.draftId)).toContain(id);
});

test('reference lookups for the form: guideline questions, members of the office’s plans, its physicians', async () => {
  const nebhp = await api.get(`/api/guidelines?procedureCode=72148&planId=NEBHP&dateOfService=${inDays(14)}`);
  expect(nebhp.body).toMatchObject({ id: 'IMG-LSPINE-MRI-NEBHP', version: 1 });
  expect(nebhp.body.questions.map((q: { id: string }) => q.id)).toContain('physicalTherapy');
  const old = await api.get('/api/guidelines?procedureCode=72148&planId=GLCH&dateOfService=2026-06-30');
  expect(old.body).toMatchObject({ id: 'IMG-LSPINE-MRI', version: 1 });
  expect((await api.get('/api/guidelines?procedureCode=70450&planId=GLCH&dateOfService=2026-12-01')).status).toBe(404);

  const member = await api.get(`/api/members/${fixtures.eligibleNebhpMember}`, office.auth);
  expect(member.body).toMatchObject({ firstName: 'Margaret', lastName: 'Sullivan', healthPlan: { id: 'NEBHP' }, eligibleTo: null });
  // A member of a plan the office does not work with is not found.
  expect((await api.get(`/api/members/${fixtures.sbmpGeorgiaMember}`, office.auth)).status).toBe(404);

  const mine = await api.get('/api/providers?mine=true&kind=ORDERING_PHYSICIAN', office.auth);
  expect(mine.body.providers.length).toBeGreaterThanOrEqual(5);
  expect(mine.body.providers.every((p: { tin: string }) => p.tin === '041234567')).toBe(true);
  const mri = await api.get('/api/providers?kind=SERVICING_FACILITY&state=MA&service=MRI&planId=NEBHP', office.auth);
  expect(mri.body.providers.map((p: { npi: string }) => p.npi)).toContain(fixtures.bostonMriFacility);

  const plans = await api.get('/api/health-plans');
  const glch = plans.body.healthPlans.find((p: { id: string }) => p.id === 'GLCH');
  expect(glch.programs).toContainEqual({ program: 'REHAB', state: 'OH', startsOn: '2027-01-01', endsOn: null });
});
