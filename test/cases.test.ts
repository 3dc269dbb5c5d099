import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { caseStatusQuery, caseWorkflowV4 } from '../workflows/case';
import { searchAttributes } from '../common/searchAttributes';
import { BUILD_IDS, buildIdsOf } from '../api/workerBuilds';
import { caseNumberOf, parseOrderNumber } from '../domain/orders';
import { fixtures, members } from '../prisma/seed/reference';
import { eventually } from './support/eventually';
import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { staffTeam } from './support/staff';
import { startStack, type TestStack } from './support/stack';
import { spawnWorker, workerEnvFor } from './support/worker-process';

/**
 * The case workflow on every path, through HTTP as an office and as reviewers, against the real
 * stack, with shortened policies: expedited decisions due in 8 s, orders valid 8 s with a 4 s
 * grace, information requests answered within 4 s.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let office: Awaited<ReturnType<typeof signedInOffice>>;
// Reviewers with real accounts (signed in with TOTP), assigned the office's plans.
let team: Awaited<ReturnType<typeof staffTeam>>;
let nurse: Record<string, string>;
let physician: Record<string, string>;
let supervisor: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({
    STANDARD_DECISION_TIME: '1h',
    EXPEDITED_DECISION_TIME: '8s',
    INFO_REQUEST_TIMEOUT: '4s',
    ORDER_VALIDITY: '8s',
    EXTENSION_GRACE: '4s',
  });
  api = apiClient(stack.baseUrl);
  office = await signedInOffice(stack.baseUrl, stack.mailbox, (r) => (r.application.planIds = ['NEBHP', 'GLCH']));
  team = await staffTeam(stack, ['NEBHP', 'GLCH']);
  ({ nurse, physician, supervisor } = { nurse: team.nurse.auth, physician: team.physician.auth, supervisor: team.supervisor.auth });
});
afterAll(() => stack.stop());

// Each test its own member: the duplicate rule must not join unrelated tests.
const today = new Date().toISOString().slice(0, 10);
const nebhpMembers = members
  .filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo)
  .map((m) => m.id);
let nextMember = 0;
const aMember = () => nebhpMembers[nextMember++]!;
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const noRedFlags = { cancerHistory: false, infectionRisk: false, caudaEquinaSigns: false, progressiveDeficit: false, fractureSuspected: false, priorLumbarSurgery: false };
const MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: true, conservativeCareWeeks: 10, physicalTherapy: true };
const NOT_MET = { ...noRedFlags, symptomPattern: 'radiculopathy', conservativeCare: false };

function lumbarMri(o: { memberId?: string; answers?: object; servicing?: string | null; urgency?: string } = {}) {
  return {
    memberId: o.memberId ?? aMember(),
    orderingProviderNpi: fixtures.harborviewPhysician,
    urgency: o.urgency ?? 'STANDARD',
    dateOfService: inDays(10),
    exams: [
      {
        procedureCode: '72148',
        diagnosisCodes: ['M54.16'],
        symptoms: 'Left leg pain below the knee',
        clinicalHistory: 'Naproxen and physical therapy',
        answers: o.answers ?? MET,
        ...(o.servicing === null ? {} : { servicingProviderNpi: o.servicing ?? fixtures.bostonMriFacility }),
      },
    ],
  };
}

async function submit(content: object) {
  const draft = await api.post('/api/drafts', content, office.auth);
  expect(draft.body.review.problems).toEqual([]);
  const submitted = await api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth);
  expect([201, 200]).toContain(submitted.status);
  return { draftId: draft.body.draftId as string, res: submitted, view: submitted.body };
}
const caseOf = async (caseNumber: string) => (await api.get(`/api/cases/${caseNumber}`, office.auth)).body;
const review = (caseNumber: string, path: string, body: object, who: Record<string, string>) => api.post(`/api/review/cases/${caseNumber}/${path}`, body, who);
const lettersTo = async () => (await stack.mailbox.list(office.email)).filter((m) => m.subject.includes('decision'));

test('criteria met with the servicing provider chosen: approved with an order number in one round trip; resubmission and duplicates', async () => {
  const memberId = aMember();
  const { draftId, res, view } = await submit(lumbarMri({ memberId }));
  expect(res.status).toBe(201);
  expect(view.caseNumber).toMatch(/^PA-\d{4}-\d{4}-\d{3}$/);
  const [exam] = view.exams;
  expect(exam).toMatchObject({ status: 'APPROVED', decisionCode: 'A1', ruleIds: ['leg-symptoms-after-8-weeks-with-therapy'], guideline: { id: 'IMG-LSPINE-MRI-NEBHP', version: 1 } });
  expect(parseOrderNumber(exam.orders[0].number)).toBe(exam.orders[0].number);
  expect(view.waitingOn).toBe('NOBODY');

  const [letter] = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject.includes(view.caseNumber) });
  expect(letter!.text).toContain(`Order number: ${exam.orders[0].number}`);
  expect(letter!.text).toContain('does not guarantee payment');

  // A new case runs as caseWorkflowV4: no patch markers (nor the TemporalChangeVersion each
  // would set), and RecordType comes with the start, not from an upsert. Approved at once, it is
  // one workflow task with one step: the opening issued the order number, wrote the case to the
  // mirror as opened and sent the letter, with no activity and no second task.
  const handle = stack.temporal.workflow.getHandle((await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: view.caseNumber } })).workflowId);
  const described = await handle.describe();
  expect(described.type).toBe('caseWorkflowV4');
  expect(described.typedSearchAttributes.get(searchAttributes.RecordType)).toBe('CASE');
  const events = (await handle.fetchHistory()).events!;
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toEqual([]);
  expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
  const localSteps = events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return [];
    const result = defaultPayloadConverter.fromPayload<{ letter?: object }>(marker.details!.result!.payloads![0]!);
    return [[(defaultPayloadConverter.fromPayload(marker.details!.data!.payloads![0]!) as { activity_type: string }).activity_type, result?.letter]];
  });
  expect(localSteps).toEqual([['openCase', { sent: true, kind: 'decision' }]]);
  // What the opening mirrored is what the workflow holds.
  const row = await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: view.caseNumber }, include: { events: { orderBy: { seq: 'asc' } }, exams: true } });
  expect(row.view).toEqual(await handle.query(caseStatusQuery));
  expect([row.status, row.waitingOn, row.mirrorVersion, row.decidedAt?.toISOString()]).toEqual(['DECIDED', 'NOBODY', 1, view.decidedAt]);
  expect(row.events.map((e) => [e.seq, e.type, e.at.toISOString()])).toEqual(view.events.map((e: { seq: number; type: string; at: string }) => [e.seq, e.type, e.at]));
  expect(row.exams.map((e) => [e.status, e.decisionCode, e.decidedBy])).toEqual([['APPROVED', 'A1', 'guideline']]);
  // Its letter's delivery row came with the case (one attempt, to the submitting user), and the send marked it.
  const deliveries = await stack.prisma.emailDelivery.findMany({ where: { workflowId: row.workflowId } });
  expect(deliveries.map((d) => [d.purpose, d.recipient, d.status, d.attempts, d.messageId])).toEqual([
    [`decision-${view.events.length}`, office.email, 'SENT', 1, letter!.messageId],
  ]);
  // The API expected the guideline to approve, so the start already showed the case decided:
  // the workflow upserted no search attribute (no event, no visibility write of its own).
  expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toEqual([]);
  expect(events).toHaveLength(8);
  expect(described.typedSearchAttributes.get(searchAttributes.RecordStatus)).toBe('DECIDED');
  expect(described.typedSearchAttributes.get(searchAttributes.WaitingOn)).toBe('NOBODY');
  expect(described.typedSearchAttributes.get(searchAttributes.StatusSince)?.getTime()).toBeLessThanOrEqual(Date.now());
  expect(described.typedSearchAttributes.get(searchAttributes.DueAt)).toBeUndefined();
  // Workflow code captures no stacks (WORKFLOW_STACK_TRACES is off by default): the open case
  // waits for its order's timer, and the stack trace query finds no frame of where it waits.
  const traced = await handle.query<{ stacks: { locations: { file_path?: string }[] }[] }>('__enhanced_stack_trace');
  expect(traced.stacks.length).toBeGreaterThan(0);
  expect(traced.stacks.flatMap((s) => s.locations)).toEqual([]);

  // The same draft again: the same case.
  const again = await api.post(`/api/drafts/${draftId}/submit`, {}, office.auth);
  expect(again.status).toBe(200);
  expect(again.body.caseNumber).toBe(view.caseNumber);
  // Another request for the member and procedure while the order is active: that order.
  const dup = await submit(lumbarMri({ memberId }));
  expect(dup.res.status).toBe(200);
  expect(dup.view.duplicateOf).toEqual({ caseNumber: view.caseNumber, orderNumber: exam.orders[0].number, procedureCode: exam.procedureCode, expiresAt: exam.orders[0].expiresAt });
  expect(await stack.prisma.orderNumber.count({ where: { case: { memberId } } })).toBe(1);
});

test('a case starts with the BuildIds its first workflow task gives it, so Temporal writes its visibility record once', async () => {
  const expected = ['unversioned', `unversioned:${stack.worker.options.buildId}`];
  const startedWith = async (workflowId: string) => {
    const [first] = (await stack.temporal.workflow.getHandle(workflowId).fetchHistory()).events!;
    const field = first!.workflowExecutionStartedEventAttributes!.searchAttributes?.indexedFields?.BuildIds;
    return field ? defaultPayloadConverter.fromPayload<string[]>(field) : undefined;
  };
  // The API learns the build from the task queue's pollers in the background (asked again 5 s
  // after it found none, as when this file's API started before its worker).
  let workflowId = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const { view } = await submit(lumbarMri());
    workflowId = (await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: view.caseNumber } })).workflowId;
    if (await startedWith(workflowId)) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  expect(await startedWith(workflowId)).toEqual(expected);
  // What the server holds after the task is what the start gave: nothing changed at the task's
  // completion, so no visibility upsert was written for it.
  expect((await stack.temporal.workflow.getHandle(workflowId).describe()).typedSearchAttributes.get(BUILD_IDS)).toEqual(expected);

  // One unversioned build polling: its value; none, two builds, or a versioned worker: nothing.
  const poller = (buildId: string, useVersioning = false) => ({ workerVersionCapabilities: { buildId, useVersioning } });
  expect(buildIdsOf([poller('b1'), poller('b1')])).toEqual(['unversioned', 'unversioned:b1']);
  expect(buildIdsOf([])).toBeUndefined();
  expect(buildIdsOf([poller('b1'), poller('b2')])).toBeUndefined();
  expect(buildIdsOf([poller('b1', true)])).toBeUndefined();
  expect(buildIdsOf([{ workerVersionCapabilities: null }])).toBeUndefined();
});

test('one draft submitted five times at once: one case, one 201 (the others 200 with that case), one submission audited', async () => {
  const draft = await api.post('/api/drafts', lumbarMri(), office.auth);
  const answers = await Promise.all(Array.from({ length: 5 }, () => api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 201]);
  expect(new Set(answers.map((a) => a.body.caseNumber)).size).toBe(1);
  expect(new Set(answers.map((a) => JSON.stringify(a.body.exams[0].orders))).size).toBe(1);
  const c = await stack.prisma.case.findUniqueOrThrow({ where: { draftId: draft.body.draftId } });
  expect(await stack.prisma.auditEvent.count({ where: { action: 'case.submitted', subjectId: c.id } })).toBe(1);
  expect(await stack.prisma.orderNumber.count({ where: { caseId: c.id } })).toBe(1);
});

test('approved without a servicing provider: the order number comes with the choice; change, extension and cancel', async () => {
  const { view, draftId } = await submit(lumbarMri({ servicing: null }));
  expect(view.exams[0]).toMatchObject({ status: 'APPROVED_AWAITING_PROVIDER', orders: [] });
  expect(view.waitingOn).toBe('OFFICE');
  const n = view.caseNumber;
  // Shown by the start (the API expected the approval), not by the workflow; the choice below changes it.
  const handle = stack.temporal.workflow.getHandle(`case-${draftId}`);
  const upserts = async () => (await handle.fetchHistory()).events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes).length;
  const shown = async () => {
    const sa = (await handle.describe()).typedSearchAttributes;
    return [sa.get(searchAttributes.RecordStatus), sa.get(searchAttributes.WaitingOn)];
  };
  expect(await shown()).toEqual(['DECIDED', 'OFFICE']);
  expect(await upserts()).toBe(0);

  const outOfNetwork = await api.post(`/api/cases/${n}/exams/1/servicing-provider`, { npi: fixtures.bostonOutOfNetworkMriFacility }, office.auth);
  expect(outOfNetwork.status).toBe(409);
  expect(outOfNetwork.body.error.message).toMatch(/not in network/);
  const chosen = await api.post(`/api/cases/${n}/exams/1/servicing-provider`, { npi: fixtures.bostonMriFacility }, office.auth);
  expect(chosen.status).toBe(200);
  expect(chosen.body.exams[0]).toMatchObject({ status: 'APPROVED', orders: [{ status: 'ACTIVE', sequence: 1 }] });
  expect(await upserts()).toBe(1);
  expect(await eventually(shown, ([status, waiting]) => status === 'DECIDED' && waiting === 'NOBODY')).toEqual(['DECIDED', 'NOBODY']);

  // Change the servicing provider of the active order: checked, recorded in the timeline, audited.
  const worcester = '2900000037'; // Worcester Hills Medical Center Radiology: MRI, in network NEBHP
  const changed = await api.post(`/api/cases/${n}/exams/1/servicing-provider`, { npi: worcester }, office.auth);
  expect(changed.status).toBe(200);
  expect(changed.body.exams[0]).toMatchObject({ servicingProviderNpi: worcester, orders: [{ status: 'ACTIVE', sequence: 1 }] });
  expect(changed.body.events.at(-1)).toMatchObject({ type: 'provider_changed', summary: expect.stringContaining('Worcester Hills') });
  expect(await stack.prisma.caseExam.findFirstOrThrow({ where: { case: { caseNumber: n } } })).toMatchObject({ servicingNpi: worcester });

  const extended = await api.post(`/api/cases/${n}/exams/1/extension`, {}, office.auth);
  expect(extended.body.exams[0].orders.map((o: { status: string }) => o.status)).toEqual(['SUPERSEDED', 'ACTIVE']);
  const rows = await stack.prisma.orderNumber.findMany({ where: { case: { caseNumber: n } }, orderBy: { sequence: 'asc' } });
  expect(rows.map((r) => r.status)).toEqual(['SUPERSEDED', 'ACTIVE']);

  const cancelled = await api.post(`/api/cases/${n}/cancel`, { reason: 'The patient moved away' }, office.auth);
  expect(cancelled.body.exams[0]).toMatchObject({ status: 'CANCELLED', decisionCode: 'C' });
  const closed = await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: n }, include: { exams: true, orders: { orderBy: { sequence: 'asc' } } } });
  expect(closed).toMatchObject({ status: 'CLOSED', waitingOn: 'NOBODY', closedAt: expect.any(Date) });
  expect(closed.exams.map((e) => [e.status, e.decisionCode])).toEqual([['CANCELLED', 'C']]);
  expect(closed.orders.map((o) => o.status)).toEqual(cancelled.body.exams[0].orders.map((o: { status: string }) => o.status));
  expect(closed.orders.at(-1)!.status).toBe('CANCELLED');
  expect((await api.post(`/api/cases/${n}/cancel`, { reason: 'again' }, office.auth)).status).toBe(409);
  expect(await stack.prisma.auditEvent.count({ where: { action: 'case.servicing_provider_set', details: { path: ['npi'], equals: worcester } } })).toBe(1);
});

test('a start that showed the case decided: the workflow shows what its own opening decided, and nothing when it cannot open', async () => {
  // As the API starts a case it expects approved, but the request is one the guideline pends.
  const start = async (content: object, expectProblems: boolean) => {
    const draft = await api.post('/api/drafts', content, office.auth);
    expect(draft.body.review.problems.length > 0).toBe(expectProblems);
    const [{ n }] = await stack.prisma.$queryRaw<[{ n: bigint }]>`SELECT nextval('case_number_seq') AS n`;
    return stack.temporal.workflow.start(caseWorkflowV4, {
      workflowId: `case-${draft.body.draftId}`,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      typedSearchAttributes: [
        { key: searchAttributes.RecordType, value: 'CASE' },
        { key: searchAttributes.RecordStatus, value: 'DECIDED' },
        { key: searchAttributes.WaitingOn, value: 'NOBODY' },
        { key: searchAttributes.StatusSince, value: new Date() },
      ],
      args: [
        {
          caseId: randomUUID(),
          caseNumber: caseNumberOf(n),
          draftId: draft.body.draftId,
          userId: office.userId,
          request: content as never,
          shown: { status: 'DECIDED', waitingOn: 'NOBODY' },
          policy: { decisionTime: '1h', warnFraction: 0.8, infoRequestTimeout: '4s', orderValidity: '8s', extensionGrace: '4s' },
        },
      ],
    });
  };
  const pended = await start(lumbarMri({ answers: NOT_MET }), false);
  const seen = await eventually(
    async () => (await pended.describe()).typedSearchAttributes,
    (sa) => sa.get(searchAttributes.RecordStatus) !== 'DECIDED',
  );
  expect([seen.get(searchAttributes.RecordStatus), seen.get(searchAttributes.WaitingOn)]).toEqual(['PENDED_NURSE', 'NURSE']);
  expect(seen.get(searchAttributes.DueAt)).toBeInstanceOf(Date);
  expect(await pended.query(caseStatusQuery)).toMatchObject({ status: 'PENDED', waitingOn: 'NURSE' });

  // A member the office's plans do not cover: the opening refuses for good, and the workflow
  // takes back the state the start showed before it fails.
  const refused = await start(lumbarMri({ memberId: 'NOT-A-MEMBER' }), true);
  await expect(refused.result()).rejects.toThrow();
  const sa = (await refused.describe()).typedSearchAttributes;
  expect([sa.get(searchAttributes.RecordStatus), sa.get(searchAttributes.WaitingOn), sa.get(searchAttributes.StatusSince)]).toEqual([undefined, undefined, undefined]);
  expect(sa.get(searchAttributes.RecordType)).toBe('CASE');
});

test('pended, then approved by a nurse; a nurse cannot deny', async () => {
  const { view } = await submit(lumbarMri({ answers: NOT_MET }));
  const n = view.caseNumber;
  expect(view.exams[0]).toMatchObject({ status: 'PENDED', decisionCode: 'A4', ruleIds: ['under-8-weeks-conservative-care'] });
  expect(view.waitingOn).toBe('NURSE');
  expect(view.nextSteps[0]).toMatch(/^Exam 1 \(72148\) is pended for clinical review: .* You may add Additional Information \(up to 2000 characters\)/);
  const queue = await api.get('/api/review/queues/nurse', nurse);
  expect(queue.body.cases.map((c: { caseNumber: string }) => c.caseNumber)).toContain(n);

  const deny = await review(n, 'nurse-decision', { action: 'DENY', exam: 1, reason: 'x' }, nurse);
  expect(deny.status).toBe(400);
  // A nurse's account cannot reach the physician's step (and the workflow's validator checks the role again).
  const wrongRole = await review(n, 'physician-decision', { action: 'APPROVE', exams: [1] }, nurse);
  expect(wrongRole.status).toBe(403);
  expect(wrongRole.body.error.message).toBe('This is for a physician reviewer; you are signed in as a nurse reviewer');

  const approved = await review(n, 'nurse-decision', { action: 'APPROVE', exams: [1], note: 'Therapy notes in Additional Information support it' }, nurse);
  expect(approved.status).toBe(200);
  expect(approved.body.exams[0]).toMatchObject({ status: 'APPROVED', decisionCode: 'A1', decidedBy: team.nurse.username });
  expect(approved.body.exams[0].orders).toHaveLength(1);
  expect((await review(n, 'nurse-decision', { action: 'APPROVE', exams: [1] }, nurse)).status).toBe(409);

  // The approval's stamps are the time the API asked for it, recorded in the update's header, so
  // a replay on another worker stamps the same (the workflow's own clock in a handler need not).
  const handle = stack.temporal.workflow.getHandle((await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: n } })).workflowId);
  const accepted = (await handle.fetchHistory()).events!.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input).filter((i) => i?.name === 'nurseDecision');
  expect(accepted).toHaveLength(1);
  const header = accepted[0]!.header?.fields?.['requested-at'];
  expect(header).toBeDefined();
  const requestedAt = new Date(defaultPayloadConverter.fromPayload<number>(header!)).toISOString();
  expect(approved.body.exams[0].decidedAt).toBe(requestedAt);
  expect(approved.body.events.filter((e: { type: string }) => e.type === 'order_issued').map((e: { at: string }) => e.at)).toEqual([requestedAt]);
});

test('escalated to a physician, who must give a specific reason and the guideline to deny', async () => {
  const { view } = await submit(lumbarMri({ answers: NOT_MET }));
  const n = view.caseNumber;
  expect((await review(n, 'nurse-decision', { action: 'ESCALATE', note: 'No conservative care documented' }, nurse)).body.waitingOn).toBe('PHYSICIAN');
  const vague = await review(n, 'physician-decision', { action: 'DENY', exam: 1, reason: 'Not needed', guidelineReference: 'IMG-LSPINE-MRI-NEBHP v1' }, physician);
  expect(vague.status).toBe(409);
  expect(vague.body.error.message).toMatch(/specific reason/);
  const reason = 'No conservative care was tried: an MRI is indicated after 8 weeks of care including supervised therapy, or with a red flag';
  const denied = await review(n, 'physician-decision', { action: 'DENY', exam: 1, reason, guidelineReference: 'IMG-LSPINE-MRI-NEBHP v1, rule under-8-weeks-conservative-care' }, physician);
  expect(denied.body.exams[0]).toMatchObject({ status: 'DENIED', decisionCode: 'A3', decisionReasons: [reason] });
  expect(denied.body.status).toBe('CLOSED');
  const letter = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject.includes(n) && m.text.includes('denied') });
  expect(letter[0]!.text).toContain(reason);
  expect(letter[0]!.text).toContain('Guideline: IMG-LSPINE-MRI-NEBHP v1');
});

test('modified by a physician: fewer units than requested (A6)', async () => {
  const { view } = await submit({
    memberId: aMember(),
    orderingProviderNpi: fixtures.harborviewPhysician,
    urgency: 'STANDARD',
    dateOfService: inDays(5),
    exams: [
      {
        procedureCode: '97163',
        diagnosisCodes: ['M54.50'],
        requestedUnits: 40,
        answers: { functionalDeficit: true, measurableGoals: true, expectedImprovement: true },
        servicingProviderNpi: fixtures.massachusettsRehabFacility,
      },
    ],
  });
  expect(view.exams[0]).toMatchObject({ status: 'PENDED', outcome: 'NEEDS_REVIEW', approvedUnits: 24 });
  const n = view.caseNumber;
  await review(n, 'nurse-decision', { action: 'ESCALATE', note: 'More units than the guideline allows' }, nurse);
  const modified = await review(n, 'physician-decision', { action: 'MODIFY', exam: 1, approvedUnits: 24, reason: 'Approved for 24 units; request more with a progress report' }, physician);
  expect(modified.status).toBe(200);
  expect(modified.body.exams[0]).toMatchObject({ status: 'APPROVED', decisionCode: 'A6', approvedUnits: 24, requestedUnits: 40 });
  // The mirror holds the decision column by column, as the answer gives it (lists, queues and
  // reports read these columns, not the workflow).
  const row = await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: n }, include: { exams: true, orders: true, events: { orderBy: { seq: 'asc' } } } });
  expect(row).toMatchObject({ status: 'DECIDED', waitingOn: 'NOBODY', decidedAt: new Date(modified.body.decidedAt), closedAt: null, warnedAt: null, breachedAt: null });
  expect(row.exams).toEqual([
    expect.objectContaining({
      examIndex: 0,
      status: 'APPROVED',
      decisionCode: 'A6',
      procedureCode: '97163',
      approvedUnits: 24,
      requestedUnits: 40,
      servicingNpi: fixtures.massachusettsRehabFacility,
      decidedBy: team.physician.username,
      decidedAt: new Date(modified.body.exams[0].decidedAt),
    }),
  ]);
  expect(row.orders.map((o) => [o.number, o.status])).toEqual([[modified.body.exams[0].orders[0].number, 'ACTIVE']]);
  expect(row.events.map((e) => [e.seq, e.type, e.at.toISOString()])).toEqual(modified.body.events.map((e: { seq: number; type: string; at: string }) => [e.seq, e.type, e.at]));
  expect((row.view as { exams: unknown[] }).exams).toEqual(modified.body.exams);
});

test('peer-to-peer: overturned after the call, and not reached in the windows', async () => {
  const windows = [
    { start: new Date(Date.now() + 3_600_000).toISOString(), end: new Date(Date.now() + 5_400_000).toISOString() },
    { start: new Date(Date.now() + 86_400_000).toISOString(), end: new Date(Date.now() + 90_000_000).toISOString() },
  ];
  for (const outcome of ['OVERTURNED', 'NOT_REACHED'] as const) {
    const { view } = await submit(lumbarMri({ answers: NOT_MET }));
    const n = view.caseNumber;
    await review(n, 'nurse-decision', { action: 'ESCALATE', note: 'Physician review' }, nurse);
    const offered = await review(n, 'physician-decision', { action: 'OFFER_PEER_TO_PEER', message: 'Conservative care is not documented' }, physician);
    expect(offered.body.waitingOn).toBe('OFFICE');
    expect((await api.post(`/api/cases/${n}/peer-to-peer/windows`, { windows: windows.slice(0, 1) }, office.auth)).status).toBe(400);
    const proposed = await api.post(`/api/cases/${n}/peer-to-peer/windows`, { windows }, office.auth);
    expect(proposed.body.waitingOn).toBe('PEER_TO_PEER');
    const body = outcome === 'OVERTURNED' ? { outcome, exams: [1], note: 'Therapy was tried at another clinic' } : { outcome, note: 'Two calls, no answer' };
    const after = await review(n, 'peer-to-peer-outcome', body, physician);
    expect(after.status).toBe(200);
    if (outcome === 'OVERTURNED') expect(after.body.exams[0]).toMatchObject({ status: 'APPROVED', decisionCode: 'A1' });
    else expect(after.body).toMatchObject({ waitingOn: 'PHYSICIAN', peerToPeer: { outcome: 'NOT_REACHED' } });
  }
});

test('an information request: answered by the office, and timed out to a physician', async () => {
  const answered = (await submit(lumbarMri({ answers: NOT_MET }))).view.caseNumber;
  const asked = await review(answered, 'nurse-decision', { action: 'REQUEST_INFO', message: 'Send the physical therapy notes of the last 8 weeks' }, nurse);
  expect(asked.body.waitingOn).toBe('OFFICE');
  await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Information needed for case ${answered}` });
  const tooLong = await api.post(`/api/cases/${answered}/additional-information`, { text: 'é'.repeat(2001) }, office.auth);
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.error.details.problems[0].message).toBe('text is limited to 2000 characters; this has 2001');
  const info = await api.post(`/api/cases/${answered}/additional-information`, { text: 'é'.repeat(1990) + ' PT notes' }, office.auth);
  expect(info.status).toBe(200);
  expect(info.body).toMatchObject({ waitingOn: 'NURSE', infoRequest: { answeredAt: expect.any(String) } });

  const silent = (await submit(lumbarMri({ answers: NOT_MET }))).view.caseNumber;
  await review(silent, 'nurse-decision', { action: 'REQUEST_INFO', message: 'Send the physical therapy notes of the last 8 weeks' }, nurse);
  const timedOut = await eventually(() => caseOf(silent), (v) => v.waitingOn === 'PHYSICIAN', 15_000);
  expect(timedOut).toMatchObject({ waitingOn: 'PHYSICIAN', infoRequest: { timedOutAt: expect.any(String) } });
});

test('the decision timeframe: a warning to the supervisor queue at 80%, then a breach', async () => {
  const { view } = await submit(lumbarMri({ answers: NOT_MET, urgency: 'URGENT' }));
  const n = view.caseNumber;
  expect(Date.parse(view.dueAt) - Date.parse(view.submittedAt)).toBe(8_000);
  const warned = await eventually(() => caseOf(n), (v) => !!v.warnedAt, 15_000);
  expect(warned.breachedAt).toBeUndefined();
  // The queue reads the mirror, which follows the workflow by a moment.
  const queue = await eventually(
    async () => (await api.get('/api/review/queues/supervisor', supervisor)).body.cases.map((c: { caseNumber: string }) => c.caseNumber) as string[],
    (numbers) => numbers.includes(n),
  );
  expect(queue).toContain(n);
  const breached = await eventually(() => caseOf(n), (v) => !!v.breachedAt, 15_000);
  expect(breached.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['timeframe_warning', 'timeframe_breached']));
  // The mirror follows the workflow's timer by a moment.
  const row = await eventually(() => stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: n } }), (c) => c.breachedAt !== null);
  expect(row.breachedAt).toBeInstanceOf(Date);
});

test('an order expires with its timer; an extension within the grace gives a new one; then the case closes', async () => {
  const { view } = await submit(lumbarMri());
  const n = view.caseNumber;
  const first = view.exams[0].orders[0].number;
  const expired = await eventually(() => caseOf(n), (v) => v.exams[0].orders[0].status === 'EXPIRED', 15_000);
  expect(expired.exams[0].status).toBe('APPROVED');
  const extended = await api.post(`/api/cases/${n}/exams/1/extension`, {}, office.auth);
  expect(extended.status).toBe(200);
  expect(extended.body.exams[0].orders.map((o: { status: string }) => o.status)).toEqual(['SUPERSEDED', 'ACTIVE']);
  expect(extended.body.exams[0].orders[1].number).not.toBe(first);
  const handle = stack.temporal.workflow.getHandle(`case-${(await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: n } })).draftId}`);
  const result = await handle.result();
  expect(result.exams[0]).toMatchObject({ status: 'EXPIRED' });
  expect(result.status).toBe('CLOSED');
  expect((await api.post(`/api/cases/${n}/exams/1/extension`, {}, office.auth)).status).toBe(409);
}, 60_000);

test('the worker killed (SIGKILL) during review: the case goes on with a new worker, and the letter is sent once', async () => {
  await stack.stopWorker();
  const env = workerEnvFor(stack.config);
  let worker = spawnWorker(env);
  try {
    await worker.ready;
    const { view } = await submit(lumbarMri({ answers: NOT_MET }));
    const n = view.caseNumber;
    expect(await worker.kill('SIGKILL')).toBeNull();
    const deciding = review(n, 'nurse-decision', { action: 'APPROVE', exams: [1] }, nurse); // no worker now
    await new Promise((r) => setTimeout(r, 1000));
    worker = spawnWorker(env);
    await worker.ready;
    const decided = await deciding;
    expect(decided.status).toBe(200);
    expect(decided.body.exams[0]).toMatchObject({ status: 'APPROVED', orders: [{ status: 'ACTIVE' }] });
    await stack.mailbox.waitFor(office.email, { match: (m) => m.subject.includes(n) });
    await new Promise((r) => setTimeout(r, 500));
    expect((await lettersTo()).filter((m) => m.subject.includes(n))).toHaveLength(1);
    expect(await stack.prisma.orderNumber.count({ where: { case: { caseNumber: n } } })).toBe(1);
  } finally {
    await worker.kill('SIGTERM');
    await stack.startWorker();
  }
}, 90_000);

test('a colleague of the same TIN and plan works the case; another office cannot see or act on it', async () => {
  const { view } = await submit(lumbarMri({ answers: NOT_MET }));
  // Another user of the same practice (TIN 04-1234567) and plan covers for the one who submitted.
  const colleague = await signedInOffice(stack.baseUrl, stack.mailbox);
  expect((await api.get(`/api/cases/${view.caseNumber}`, colleague.auth)).status).toBe(200);
  const added = await api.post(`/api/cases/${view.caseNumber}/additional-information`, { text: 'Added by a colleague covering today' }, colleague.auth);
  expect(added.status).toBe(200);
  const audited = await stack.prisma.auditEvent.findFirstOrThrow({ where: { action: 'case.information_added', subjectId: view.caseId } });
  expect(audited.actor).toBe(`user:${colleague.userId}`);
  // The same practice without the case's plan, and another practice, get "not found".
  const otherPlan = await signedInOffice(stack.baseUrl, stack.mailbox, (r) => (r.application.planIds = ['GLCH']));
  const otherOffice = await signedInOffice(stack.baseUrl, stack.mailbox, (r) => {
    r.user.organization.name = 'Lakeshore Imaging Center LLC';
    r.application.tins = ['36-1112222'];
    r.application.planIds = ['GLCH'];
  });
  for (const other of [otherPlan, otherOffice]) {
    expect((await api.get(`/api/cases/${view.caseNumber}`, other.auth)).status).toBe(404);
    expect((await api.post(`/api/cases/${view.caseNumber}/cancel`, { reason: 'not mine' }, other.auth)).status).toBe(404);
    expect((await api.get('/api/cases', other.auth)).body.cases.map((c: { caseNumber: string }) => c.caseNumber)).not.toContain(view.caseNumber);
  }
  expect((await api.get(`/api/review/queues/nurse`)).status).toBe(401);
});

test('with no worker to answer the case query, an office still reads its case, from the database mirror', async () => {
  const { view } = await submit(lumbarMri({ answers: NOT_MET }));
  await eventually(async () => (await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: view.caseNumber } })).waitingOn, (w) => w === 'NURSE');
  await stack.stopWorker();
  try {
    const started = Date.now();
    const read = await api.get(`/api/cases/${view.caseNumber}`, office.auth);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ caseNumber: view.caseNumber, waitingOn: 'NURSE', exams: [expect.objectContaining({ status: 'PENDED' })] });
    // Bounded by the read's query deadline (5 s), not Temporal's own (about 30 s).
    expect(Date.now() - started).toBeLessThan(15_000);
  } finally {
    await stack.startWorker();
  }
}, 90_000);
