import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { caseActivities } from '../activities/cases';
import { createTransport } from '../activities/mail';
import { caseNumberOf } from '../domain/orders';
import type { CaseView } from '../workflows/case';
import { fixtures, members } from '../prisma/seed/reference';
import { LUMBAR_MET, LUMBAR_NOT_MET, submitLumbarMri } from './support/cases';
import { eventually } from './support/eventually';
import { failAfterWork } from './support/faults';
import { apiClient } from './support/http';
import { signedInOffice } from './support/registration';
import { staffTeam } from './support/staff';
import { startStack, type TestStack } from './support/stack';
import { testEnv } from './support/env';

/**
 * Every step of a case run twice: each first attempt of opening the case, issuing an order
 * number, writing the mirror and sending a letter does its work and then fails, as if the worker
 * had died before Temporal heard the result. Temporal runs the step again; the case must still
 * have one row, one order number (the one the office was told) and one letter of each kind.
 * An order-number step without its idempotency record fails here.
 */
const STEPS = ['openCase', 'issueOrderNumber', 'mirrorCase', 'sendCaseEmail'];
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let office: Awaited<ReturnType<typeof signedInOffice>>;
let nurse: Record<string, string>;
const injected: { workflowId: string; activityType: string; local: boolean }[] = [];

// Members of its own, made in beforeAll: the run's database is shared by every file, and the
// duplicate rule ("return the active order") joins a member's requests for the same exam.
const [autoMember, reviewMember, openingMember, lateMember, numberedMember] = ['A', 'R', 'O', 'L', 'N'].map((k) => `NEB9${k}${String(Date.now()).slice(-7)}`);
const lumbarRequest = (memberId: string) => ({
  memberId,
  orderingProviderNpi: fixtures.harborviewPhysician,
  urgency: 'STANDARD',
  dateOfService: new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10),
});
const lumbarExam = { procedureCode: '72148', diagnosisCodes: ['M54.16'], servicingProviderNpi: fixtures.bostonMriFacility };

beforeAll(async () => {
  stack = await startStack({}, { activityInterceptors: [failAfterWork({ rate: 1, activities: STEPS, onInjected: (f) => injected.push(f) })] });
  const model = members.find((m) => m.planId === 'NEBHP' && !m.eligibleTo)!;
  await stack.prisma.member.createMany({
    data: [autoMember!, reviewMember!, openingMember!, lateMember!, numberedMember!].map((id) => ({ ...model, id, birthDate: new Date(model.birthDate), eligibleFrom: new Date(model.eligibleFrom), eligibleTo: null })),
  });
  api = apiClient(stack.baseUrl);
  office = await signedInOffice(stack.baseUrl, stack.mailbox);
  nurse = (await staffTeam(stack, ['NEBHP'])).nurse.auth;
}, 120_000);
afterAll(() => stack.stop());

async function rowsOf(caseId: string) {
  const [cases, orders, events, letters] = await Promise.all([
    stack.prisma.case.count({ where: { id: caseId } }),
    stack.prisma.orderNumber.findMany({ where: { caseId }, orderBy: { sequence: 'asc' } }),
    stack.prisma.caseEvent.findMany({ where: { caseId }, orderBy: { seq: 'asc' } }),
    stack.prisma.emailDelivery.findMany({ where: { workflowId: { startsWith: 'case-' } } }),
  ]);
  return { cases, orders, events, letters };
}

test('approved at once while every step fails after its work: one case, one order number, one letter', async () => {
  const submitted = await submitLumbarMri(api, office.auth, { memberId: autoMember!, answers: LUMBAR_MET });
  const told = submitted.body.exams[0].orders;
  expect(told).toHaveLength(1);
  // The opening issues the first order number and mirrors the case in its own statement, tries
  // the letter, and fails after sending it: its retry answers with the number it wrote, the view
  // built from it, and finds the letter sent. No order-number, mirror or letter step of their own.
  expect(injected).toContainEqual(expect.objectContaining({ workflowId: submitted.workflowId, activityType: 'openCase', local: true }));
  expect(injected.filter((f) => f.workflowId === submitted.workflowId && ['issueOrderNumber', 'mirrorCase', 'sendCaseEmail'].includes(f.activityType))).toEqual([]);

  const letters = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject.includes(submitted.caseNumber) });
  // Given the retried send a moment to show up, had it sent again.
  await new Promise((r) => setTimeout(r, 1500));
  expect((await stack.mailbox.list(office.email)).filter((m) => m.subject.includes(submitted.caseNumber))).toHaveLength(1);
  expect(letters[0]!.text).toContain(`Order number: ${told[0].number}`);

  const rows = await rowsOf(submitted.caseId);
  expect(rows.cases).toBe(1);
  expect(rows.orders.map((o) => o.number)).toEqual([told[0].number]);
  expect(rows.letters.filter((l) => l.workflowId === submitted.workflowId)).toHaveLength(1);
  const view = await api.get(`/api/cases/${submitted.caseNumber}`, office.auth);
  expect(view.body.exams[0].orders.map((o: { number: string }) => o.number)).toEqual([told[0].number]);
  // The mirrored timeline is the workflow's, event for event, however often its writes were retried.
  expect(rows.events.map((e) => [e.seq, e.type])).toEqual(view.body.events.map((e: { seq: number; type: string }) => [e.seq, e.type]));
});

test('approved by a nurse while every step fails after its work: the order number the nurse sees is the one kept', async () => {
  const submitted = await submitLumbarMri(api, office.auth, { memberId: reviewMember!, answers: LUMBAR_NOT_MET });
  expect(submitted.body.exams[0].status).toBe('PENDED');
  const approved = await api.post(`/api/review/cases/${submitted.caseNumber}/nurse-decision`, { action: 'APPROVE', exams: [1], note: 'Therapy notes support it' }, nurse);
  expect(approved.status).toBe(200);
  const told = approved.body.exams[0].orders;
  expect(told).toHaveLength(1);
  const forThisCase = injected.filter((f) => f.workflowId === submitted.workflowId).map((f) => f.activityType);
  expect(forThisCase.filter((t) => t === 'issueOrderNumber')).toHaveLength(1);
  // The opening mirrored the pended case itself (caseWorkflowV4); the decision is a mirror write.
  expect(forThisCase.filter((t) => t === 'openCase')).toHaveLength(1);
  expect(forThisCase.filter((t) => t === 'mirrorCase')).toHaveLength(1);

  const letter = await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Prior authorization decision for case ${submitted.caseNumber}` });
  await new Promise((r) => setTimeout(r, 1500));
  expect((await stack.mailbox.list(office.email)).filter((m) => m.subject === `Prior authorization decision for case ${submitted.caseNumber}`)).toHaveLength(1);
  expect(letter[0]!.text).toContain(`Order number: ${told[0].number}`);
  const rows = await rowsOf(submitted.caseId);
  expect(rows.orders.map((o) => o.number)).toEqual([told[0].number]);
});

test('a case whose row is written but whose workflow cannot answer yet is "being opened" (503), never an empty case', async () => {
  // As a worker killed between writing the case row and its first determination leaves it,
  // with no workflow to ask (the API then reads the mirror, which has no view yet).
  const draft = await api.post('/api/drafts', { ...lumbarRequest(openingMember!), exams: [{ ...lumbarExam, answers: LUMBAR_MET }] }, office.auth);
  expect(draft.status).toBe(201);
  const model = await stack.prisma.case.findFirstOrThrow({ where: { userId: office.userId } });
  const caseNumber = `PA-9999-${String(Date.now()).slice(-4)}-000`;
  await stack.prisma.case.create({
    data: { ...model, id: randomUUID(), caseNumber, workflowId: `case-${draft.body.draftId}`, draftId: draft.body.draftId, view: {}, request: model.request as object, status: 'PENDED', waitingOn: 'NOBODY' },
  });
  const opening = await api.get(`/api/cases/${caseNumber}`, office.auth);
  expect(opening.status).toBe(503);
  expect(opening.body.error).toMatchObject({ code: 'case_opening', message: `Case ${caseNumber} is still being opened: ask again in a few seconds` });
  const resubmitted = await api.post(`/api/drafts/${draft.body.draftId}/submit`, {}, office.auth);
  expect(resubmitted.status).toBe(503);
  expect(resubmitted.body.error.code).toBe('case_opening');
});

test('a case number another case holds is passed over, and the opening step refuses one rather than go on without a row', async () => {
  // Case numbers were once a hash of the draft id, so a case can hold a number the sequence
  // gives later: here, the very next one.
  const first = await submitLumbarMri(api, office.auth, { memberId: numberedMember!, answers: LUMBAR_MET, procedureCode: '72149' });
  const model = await stack.prisma.case.findUniqueOrThrow({ where: { id: first.caseId } });
  const draft = await api.post('/api/drafts', { ...lumbarRequest(openingMember!), exams: [{ ...lumbarExam, answers: LUMBAR_MET }] }, office.auth);
  const [{ n }] = await stack.prisma.$queryRaw<[{ n: bigint }]>`SELECT nextval('case_number_seq') AS n`;
  const held = caseNumberOf(n + 1n);
  await stack.prisma.case.create({
    data: { ...model, id: randomUUID(), caseNumber: held, workflowId: `case-${draft.body.draftId}`, draftId: draft.body.draftId, view: {}, request: model.request as object },
  });

  const submitted = await submitLumbarMri(api, office.auth, { memberId: numberedMember!, answers: LUMBAR_MET });
  expect(submitted.caseNumber).not.toBe(held);
  // A later value of the sequence (other suites draw from it at the same time).
  const later = Array.from({ length: 200 }, (_, i) => caseNumberOf(n + 2n + BigInt(i)));
  expect(later).toContain(submitted.caseNumber);
  expect(submitted.body.exams[0]).toMatchObject({ status: 'APPROVED', orders: [{ status: 'ACTIVE' }] });
  expect(await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber: submitted.caseNumber } })).toMatchObject({ id: submitted.caseId, status: 'DECIDED' });

  // The step itself, given a number another case holds: it fails for good and writes nothing
  // (it used to take the clash for its own earlier write and go on with no case row).
  const { openCase } = caseActivities({ prisma: stack.prisma, transport: createTransport(testEnv('smtpUrl')), from: 'Test <test@prior-auth.local>', publicBaseUrl: 'http://localhost' });
  const row = await stack.prisma.case.findUniqueOrThrow({ where: { id: submitted.caseId } });
  const caseId = randomUUID();
  const workflowId = `case-${randomUUID()}`;
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: randomUUID() } });
  const opening = env.run(openCase, {
    caseId,
    caseNumber: held,
    draftId: randomUUID(),
    userId: row.userId,
    workflowId,
    request: row.request as never,
    submittedAt: new Date().toISOString(),
    dueAt: new Date(Date.now() + 86_400_000).toISOString(),
  });
  await expect(opening).rejects.toMatchObject({ type: 'CaseConflict', nonRetryable: true, message: expect.stringContaining(held) });
  expect(await stack.prisma.case.count({ where: { id: caseId } })).toBe(0);
});

test('an opening run again by a later workflow task (the first never completed) leaves the mirror with the later task\'s view, one order number and one letter', async () => {
  // caseWorkflowV4 hands the opening its view and time; a worker killed before the task completed
  // means a new task, later stamps, and the same step again, which finds its own earlier write.
  const request = { ...lumbarRequest(openingMember!), exams: [{ ...lumbarExam, answers: LUMBAR_MET }] };
  const draft = await api.post('/api/drafts', request, office.auth);
  expect(draft.status).toBe(201);
  const [{ n }] = await stack.prisma.$queryRaw<[{ n: bigint }]>`SELECT nextval('case_number_seq') AS n`;
  const caseId = randomUUID();
  const caseNumber = caseNumberOf(n);
  const workflowId = `case-${draft.body.draftId}`;
  const { openCase } = caseActivities({ prisma: stack.prisma, transport: createTransport(testEnv('smtpUrl')), from: 'Test <test@prior-auth.local>', publicBaseUrl: 'http://localhost' });
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: randomUUID() } });
  const attempt = (t: number): Promise<Awaited<ReturnType<typeof openCase>>> => {
    const at = new Date(t).toISOString();
    const view: CaseView = { caseId, caseNumber, status: 'PENDED', stage: 'NURSE', waitingOn: 'NOBODY', submittedAt: at, dueAt: new Date(t + 86_400_000).toISOString(), exams: [], additionalInformation: [], events: [] };
    return env.run(openCase, {
      caseId,
      caseNumber,
      draftId: draft.body.draftId,
      userId: office.userId,
      workflowId,
      request: request as never,
      submittedAt: view.submittedAt,
      dueAt: view.dueAt,
      firstOrders: { validityMs: 60 * 86_400_000 },
      mirror: { view, openedAt: at, at: t, version: 1, letterWaitMs: 2000 },
    });
  };
  const first = await attempt(Date.now() - 10_000);
  const later = Date.now();
  const second = await attempt(later);
  expect(second.exams[0]!.order).toEqual(first.exams[0]!.order);
  expect([first.letter, second.letter]).toEqual([{ sent: true, kind: 'decision' }, { sent: true, kind: 'decision' }]);
  const row = await stack.prisma.case.findUniqueOrThrow({ where: { id: caseId } });
  const view = row.view as unknown as CaseView;
  expect([view.submittedAt, view.decidedAt, view.events.map((e) => e.at)]).toEqual([new Date(later).toISOString(), new Date(later).toISOString(), [new Date(later).toISOString(), new Date(later).toISOString()]]);
  expect(view.exams[0]!.orders.map((o) => o.number)).toEqual([first.exams[0]!.order!.number]);
  expect([row.mirroredAt?.getTime(), row.status]).toEqual([later, 'DECIDED']);
  expect(await stack.prisma.orderNumber.count({ where: { caseId } })).toBe(1);
  const deliveries = await stack.prisma.emailDelivery.findMany({ where: { workflowId } });
  expect(deliveries.map((d) => [d.status, d.attempts])).toEqual([['SENT', 2]]);
  await new Promise((r) => setTimeout(r, 500));
  expect((await stack.mailbox.list(office.email)).filter((m) => m.subject.includes(caseNumber))).toHaveLength(1);
});

test('an issued order number is never renumbered, moved, re-dated or removed in the database; its status may change', async () => {
  const [order] = await stack.prisma.orderNumber.findMany({ take: 1, where: { case: { memberId: autoMember! } } });
  expect(order).toBeDefined();
  const where = { number: order!.number };
  await expect(stack.prisma.orderNumber.update({ where, data: { number: `${order!.number}X` } })).rejects.toThrow(/may change only its status/);
  await expect(stack.prisma.orderNumber.update({ where, data: { sequence: 2 } })).rejects.toThrow(/may change only its status/);
  await expect(stack.prisma.orderNumber.update({ where, data: { expiresAt: new Date() } })).rejects.toThrow(/may change only its status/);
  await expect(stack.prisma.orderNumber.delete({ where })).rejects.toThrow(/may change only its status/);
  await expect(stack.prisma.$executeRawUnsafe('TRUNCATE "OrderNumber"')).rejects.toThrow(/never removed/);
  await stack.prisma.orderNumber.update({ where, data: { status: order!.status } });
  expect(await stack.prisma.orderNumber.findUniqueOrThrow({ where })).toEqual(order);
});

test('a mirror write that arrives after a newer one adds its lost events and puts no older view back; a reset workflow still writes', async () => {
  // As an attempt left running by a worker that lost the workflow (or a retry that slept past a
  // newer write) does: the activity itself, against the real database, with an older view.
  const submitted = await submitLumbarMri(api, office.auth, { memberId: lateMember!, answers: LUMBAR_NOT_MET });
  const pended = await stack.prisma.case.findUniqueOrThrow({ where: { id: submitted.caseId } });
  expect(pended.mirrorVersion).toBeGreaterThan(0);
  const approved = await api.post(`/api/review/cases/${submitted.caseNumber}/nurse-decision`, { action: 'APPROVE', exams: [1], note: 'Therapy notes support it' }, nurse);
  expect(approved.status).toBe(200);
  const newer = await eventually(
    () => stack.prisma.case.findUniqueOrThrow({ where: { id: submitted.caseId } }),
    (row) => row.status === 'DECIDED',
  );
  expect(newer.mirrorVersion).toBeGreaterThan(pended.mirrorVersion);
  expect(newer.mirroredAt!.getTime()).toBeGreaterThanOrEqual(pended.mirroredAt!.getTime());
  const older = pended.view as unknown as CaseView;
  // One of the older write's events lost from the mirror: the late write brings it back.
  await stack.prisma.caseEvent.delete({ where: { caseId_seq: { caseId: submitted.caseId, seq: older.events[0]!.seq } } });

  const { mirrorCase } = caseActivities({ prisma: stack.prisma, transport: createTransport(testEnv('smtpUrl')), from: 'Test <test@prior-auth.local>', publicBaseUrl: 'http://localhost' });
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: submitted.workflowId, runId: randomUUID() } });
  const late = await env.run(mirrorCase, { view: older, events: older.events, at: pended.mirroredAt!.getTime(), version: pended.mirrorVersion });
  expect(late).toEqual({ applied: false });

  const after = await stack.prisma.case.findUniqueOrThrow({ where: { id: submitted.caseId }, include: { exams: true, orders: true, events: { orderBy: { seq: 'asc' } } } });
  expect(after).toMatchObject({ status: 'DECIDED', mirrorVersion: newer.mirrorVersion, view: newer.view });
  expect(after.exams.map((e) => e.status)).toEqual(['APPROVED']);
  expect(after.orders.map((o) => o.status)).toEqual(['ACTIVE']);
  const workflow = await api.get(`/api/cases/${submitted.caseNumber}`, office.auth);
  expect(after.events.map((e) => [e.seq, e.type])).toEqual(workflow.body.events.map((e: { seq: number; type: string }) => [e.seq, e.type]));

  // A workflow reset (an operator's `temporal workflow reset`) counts its writes again from an
  // earlier point, at a later time: its writes apply.
  const reset = await env.run(mirrorCase, { view: newer.view as unknown as CaseView, events: [], at: Date.now() + 1000, version: 1 });
  expect(reset).toEqual({ applied: true });
  expect(await stack.prisma.case.findUniqueOrThrow({ where: { id: submitted.caseId } })).toMatchObject({ mirrorVersion: 1, status: 'DECIDED' });
});
