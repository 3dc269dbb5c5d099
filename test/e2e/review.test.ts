import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { members } from '../../prisma/seed/reference';
import { accessibilityProblems, launchBrowser, newPage, screenshot, signInThroughPortal } from '../support/browser';
import { apiClient } from '../support/http';
import { LUMBAR_NOT_MET, submitLumbarMri } from '../support/cases';
import { signedInOffice } from '../support/registration';
import { staffTeam, STAFF_PASSWORD, type SignedInStaff } from '../support/staff';
import { startStack, type TestStack } from '../support/stack';

/**
 * The reviewers' pages in a real browser: a nurse signs in through the portal, finds an office's
 * case in the nurse queue, claims and approves it (an order number; the office sees A1); a
 * second case is escalated by the nurse and denied by a physician with a reason the office then
 * reads (A3). Each page is screenshot and checked with axe-core.
 */
const SUITE = 'review';
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let team: Awaited<ReturnType<typeof staffTeam>>;
let office: Awaited<ReturnType<typeof signedInOffice>>;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startStack({ STANDARD_DECISION_TIME: '1h' });
  api = apiClient(stack.baseUrl);
  [team, office, browser] = await Promise.all([staffTeam(stack, ['NEBHP']), signedInOffice(stack.baseUrl, stack.mailbox), launchBrowser()]);
}, 120_000);
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

const today = new Date().toISOString().slice(0, 10);
// Members from index 40 on: other suites take theirs from the start, the end and 35-39.
const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id).slice(40);
/** An office's lumbar MRI request that does not meet the guideline: pended for a nurse. */
async function submitCase(): Promise<string> {
  const c = await submitLumbarMri(api, office.auth, { memberId: pool.shift()!, procedureCode: '72158', answers: LUMBAR_NOT_MET, symptoms: 'Left leg pain below the knee for 3 weeks' });
  expect(c.body.exams[0]).toMatchObject({ status: 'PENDED', decisionCode: 'A4' });
  return c.caseNumber;
}

/** A page of its own for `who`, signed in through the portal's sign-in page. */
async function signedInPage(who: SignedInStaff): Promise<Page> {
  const { context, page } = await newPage(browser, stack.baseUrl);
  contexts.push(context);
  await signInThroughPortal(page, { login: who.username, password: STAFF_PASSWORD, email: who.email, mailbox: stack.mailbox });
  return page;
}

/** Saves the page as it is and fails on any serious accessibility problem. */
async function check(page: Page, name: string): Promise<void> {
  await screenshot(page, SUITE, name);
  expect(await accessibilityProblems(page)).toEqual([]);
}

const heading = (page: Page) => page.locator('main h1');
const flashOf = (page: Page) => page.locator('.rv-flash');
const examCard = (page: Page, n = 1): Locator => page.locator(`article.rv-exam[data-exam="${n}"]`);
const officeCase = async (n: string) => (await api.get(`/api/cases/${n}`, office.auth)).body;

/** Opens a case from the queue: its row, then its link. */
async function openFromQueue(page: Page, caseNumber: string): Promise<Locator> {
  const row = page.locator(`tr[data-case="${caseNumber}"]`);
  await row.waitFor();
  await row.getByRole('link', { name: caseNumber }).click();
  await page.waitForURL(`**/review/cases/${caseNumber}`);
  await heading(page).filter({ hasText: `Case ${caseNumber}` }).waitFor();
  return row;
}

test('a nurse finds a case in the nurse queue, claims it and approves it: an order number, A1 for the office', async () => {
  const caseNumber = await submitCase();
  const page = await signedInPage(team.nurse);

  // The nurse's start page is the work queues; the nurse sees only the nurse queue.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Work queues' }).click();
  await heading(page).filter({ hasText: 'Nurse review queue' }).waitFor();
  expect(await page.getByRole('navigation', { name: 'Your queues' }).getByRole('link').allInnerTexts()).toEqual(['Nurse review']);
  const row = page.locator(`tr[data-case="${caseNumber}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  expect(cells[1]).toBe('Waiting for nurse review');
  expect(cells[2]).toBe('Standard');
  expect(cells[3]).toBe('Northeast Blue Health Plan');
  expect(cells[4]).toMatch(/\(in (1 h 0 min|5\d min)\)/);
  expect(cells[5]).toBe('Nobody yet');
  // Ordered by due time: every row's due time is no earlier than the one before.
  const due = await page.locator('table.rv-queue tbody time').evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
  expect(due).toEqual([...due].sort((a, b) => a - b));
  await check(page, 'nurse-queue');

  // The plan filter keeps the case (it is an NEBHP case) and says so in the address.
  await page.getByLabel('Health plan').selectOption('NEBHP');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/queue=nurse&planId=NEBHP/);
  await page.getByText(/cases? for Northeast Blue Health Plan, the soonest due first/).waitFor();
  await openFromQueue(page, caseNumber);

  // What the office asked for, answered and what the guideline found.
  const card = examCard(page);
  expect(await card.locator('h3').innerText()).toMatch(/^Exam 1: 72158 /);
  expect(await card.innerText()).toContain('M54.16');
  expect(await card.innerText()).toContain('Left leg pain below the knee for 3 weeks');
  expect(await card.locator('.rv-outcome').innerText()).toContain('Does not meet the guideline criteria');
  expect(await card.locator('.rv-outcome').innerText()).toContain('IMG-LSPINE-MRI-NEBHP, version 1');
  const conservative = card.locator('table.rv-answers tr', { hasText: 'Has the patient had conservative care for this episode' });
  expect(await conservative.locator('td').innerText()).toBe('No');
  expect(await card.locator('table.rv-answers tr', { hasText: 'Which best describes the symptoms?' }).locator('td').innerText()).toBe('Leg pain, numbness or weakness following a nerve (sciatica)');
  const people = await page.locator('section', { has: page.getByRole('heading', { name: 'Member and ordering provider' }) }).innerText();
  expect(people).toContain('Emily Chen');
  expect(people).toContain('NPI 1900000013');
  expect(people).toContain('Northeast Blue Health Plan (NEBHP)');
  expect(await page.locator('.timeline li').first().innerText()).toContain('Request submitted with 1 exam(s)');

  // A nurse's forms only: approve, ask for information, escalate; never the physician's.
  expect(await page.getByRole('button', { name: 'Escalate to a physician' }).count()).toBe(1);
  expect(await page.getByRole('button', { name: 'Deny' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Approve with changes' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Offer peer-to-peer' }).count()).toBe(0);
  expect(await page.getByLabel('Reason for the denial').count()).toBe(0);
  await check(page, 'nurse-case-before');

  // Claim: the case is the nurse's (the API says so too).
  await page.getByRole('button', { name: 'Claim this case' }).click();
  await flashOf(page).getByText(`You claimed case ${caseNumber}`).waitFor();
  expect(await page.getByRole('button', { name: 'Release this case' }).count()).toBe(1);
  expect((await api.get(`/api/review/cases/${caseNumber}`, team.nurse.auth)).body.assignedTo).toBe(team.nurse.username);

  // The same case open in a second tab, to see a refusal later.
  const stale = await page.context().newPage();
  stale.on('pageerror', (err) => {
    throw err;
  });
  await stale.goto(`/review/cases/${caseNumber}`);
  await stale.getByRole('button', { name: 'Escalate to a physician' }).waitFor();

  // Approve exam 1 (checked by default).
  const approve = page.locator('form', { has: page.getByRole('heading', { name: 'Approve', exact: true }) });
  expect(await approve.getByLabel(/^Exam 1: 72158/).isChecked()).toBe(true);
  await approve.getByLabel('Note for the decision letter (optional)').fill('Radicular pain with a documented plan; approved on review');
  await approve.getByRole('button', { name: 'Approve', exact: true }).click();
  const message = await flashOf(page).getByText(/Exam 1 approved \(A1\) with order number/).innerText();
  const orderNumber = /order number (\S+)\.$/.exec(message)![1]!;
  expect(orderNumber).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-\S$/);
  expect(await card.locator('.rv-state .badge').innerText()).toBe('Approved');
  expect(await card.locator('td.order-number').innerText()).toBe(orderNumber);
  expect(await page.locator('dl.summary dd .badge').first().innerText()).toBe('Decided');
  expect(await page.locator('.rv-decisions').innerText()).toContain('No exam of this case is waiting for a decision.');
  await check(page, 'nurse-case-approved');

  // The office sees the approval with the same order number.
  const seen = await officeCase(caseNumber);
  expect(seen.exams[0]).toMatchObject({ status: 'APPROVED', decisionCode: 'A1', decisionReasons: ['Radicular pain with a documented plan; approved on review'] });
  expect(seen.exams[0].orders.map((o: { number: string; status: string }) => [o.number, o.status])).toEqual([[orderNumber, 'ACTIVE']]);

  // The stale tab's escalation is refused with the workflow's reason, shown on the page.
  await stale.getByLabel('Why the case goes to a physician').fill('Second opinion wanted');
  await stale.getByRole('button', { name: 'Escalate to a physician' }).click();
  const refusal = stale.locator('.problem-summary', { hasText: 'no exam waiting for review' });
  await refusal.waitFor();
  await check(stale, 'nurse-case-refused');
  await stale.close();

  // Decided, the case has left the nurse queue.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Work queues' }).click();
  await heading(page).filter({ hasText: 'Nurse review queue' }).waitFor();
  expect(await page.locator(`tr[data-case="${caseNumber}"]`).count()).toBe(0);
});

test('a nurse escalates a case; a physician denies it with a reason the office reads (A3)', async () => {
  const caseNumber = await submitCase();
  const nurse = await signedInPage(team.nurse);
  await openFromQueue(nurse, caseNumber);
  const escalate = nurse.locator('form', { has: nurse.getByRole('heading', { name: 'Escalate to a physician' }) });
  // Without a note the page says what is missing, beside the field.
  await escalate.getByRole('button', { name: 'Escalate to a physician' }).click();
  await escalate.locator('.field.has-error .error', { hasText: 'Say why the case goes to a physician' }).waitFor();
  await escalate.getByLabel('Why the case goes to a physician').fill('No conservative care documented: a physician should decide');
  await escalate.getByRole('button', { name: 'Escalate to a physician' }).click();
  await flashOf(nurse).getByText(`Case ${caseNumber} escalated to a physician`).waitFor();
  expect(await nurse.locator('dl.summary dd').first().innerText()).toBe('Waiting for physician review');
  expect(await nurse.locator('.rv-decisions').innerText()).toContain('Nothing for a nurse to decide now');
  // Even at the physician's step, a nurse is never shown the physician's forms.
  expect(await nurse.getByRole('button', { name: 'Deny' }).count()).toBe(0);
  expect(await nurse.getByLabel('Reason for the denial').count()).toBe(0);
  expect(await nurse.locator('.timeline').innerText()).toContain('Escalated to a physician: No conservative care documented');
  await check(nurse, 'nurse-case-escalated');

  // The physician's start page is the physician queue, with the peer-to-peer queue beside it.
  const physician = await signedInPage(team.physician);
  await heading(physician).filter({ hasText: 'Physician review queue' }).waitFor();
  expect(await physician.getByRole('navigation', { name: 'Your queues' }).getByRole('link').allInnerTexts()).toEqual(['Physician review', 'Peer-to-peer calls']);
  const row = physician.locator(`tr[data-case="${caseNumber}"]`);
  await row.waitFor();
  expect(await row.locator('td').nth(1).innerText()).toBe('Waiting for physician review');
  await check(physician, 'physician-queue');
  await openFromQueue(physician, caseNumber);
  expect(await physician.getByRole('button', { name: 'Escalate to a physician' }).count()).toBe(0);
  // Claimed, then released: back to nobody's.
  await physician.getByRole('button', { name: 'Claim this case' }).click();
  await flashOf(physician).getByText(`You claimed case ${caseNumber}`).waitFor();
  expect((await api.get(`/api/review/cases/${caseNumber}`, team.physician.auth)).body.assignedTo).toBe(team.physician.username);
  await physician.getByRole('button', { name: 'Release this case' }).click();
  await flashOf(physician).getByText(`You released case ${caseNumber}`).waitFor();
  expect(await physician.getByRole('button', { name: 'Claim this case' }).count()).toBe(1);
  expect((await api.get(`/api/review/cases/${caseNumber}`, team.physician.auth)).body.assignedTo).toBeNull();
  const deny = physician.locator('form', { has: physician.getByRole('heading', { name: 'Deny', exact: true }) });
  expect(await deny.getByLabel('Guideline reference').inputValue()).toBe('IMG-LSPINE-MRI-NEBHP v1');
  await check(physician, 'physician-case-before');

  // A vague reason is refused beside the field, before anything is sent.
  await deny.getByLabel('Reason for the denial').fill('Not needed');
  await deny.getByRole('button', { name: 'Deny', exact: true }).click();
  await deny.locator('.field.has-error .error', { hasText: 'at least 20 characters' }).waitFor();
  expect((await officeCase(caseNumber)).exams[0].status).toBe('PENDED');
  await check(physician, 'physician-case-deny-problem');

  const reason = 'No conservative care is documented for this episode; the plan requires 6 weeks of supervised therapy before a lumbar MRI';
  await deny.getByLabel('Reason for the denial').fill(reason);
  await deny.getByRole('button', { name: 'Deny', exact: true }).click();
  await flashOf(physician).getByText('Exam 1 denied (A3)').waitFor();
  const card = examCard(physician);
  expect(await card.locator('.rv-state .badge').innerText()).toBe('Denied');
  expect(await card.innerText()).toContain(reason);
  expect(await card.innerText()).toContain('Guideline cited: IMG-LSPINE-MRI-NEBHP v1');
  await check(physician, 'physician-case-denied');

  // The office reads the denial and its reason.
  const seen = await officeCase(caseNumber);
  expect(seen.exams[0]).toMatchObject({ status: 'DENIED', decisionCode: 'A3', decisionReasons: [reason], guidelineReference: 'IMG-LSPINE-MRI-NEBHP v1' });
  expect(seen.status).toBe('CLOSED');
});

test('a physician offers a peer-to-peer call, sees the windows the office proposed in the peer-to-peer queue, and records it overturned (A1)', async () => {
  const caseNumber = await submitCase();
  const escalated = await api.post(`/api/review/cases/${caseNumber}/nurse-decision`, { action: 'ESCALATE', note: 'Physician review wanted' }, team.nurse.auth);
  expect(escalated.body.waitingOn).toBe('PHYSICIAN');

  const physician = await signedInPage(team.physician);
  await openFromQueue(physician, caseNumber);
  const offer = physician.locator('form', { has: physician.getByRole('heading', { name: 'Offer a peer-to-peer call' }) });
  await offer.getByLabel('What the call is about').fill('Whether supervised therapy was tried for this episode');
  await offer.getByRole('button', { name: 'Offer peer-to-peer' }).click();
  await flashOf(physician).getByText('Peer-to-peer offered').waitFor();
  expect(await physician.locator('dl.summary dd').first().innerText()).toBe('Peer-to-peer offered: waiting for the office to propose call windows');
  expect(await physician.locator('.rv-decisions').innerText()).toContain('Nothing for a physician to decide now');

  // The office proposes two windows; the case moves to the peer-to-peer queue.
  const at = (days: number, hour: number) => new Date(Date.UTC(2030, 0, days, hour)).toISOString();
  const windows = [{ start: at(7, 14), end: at(7, 15) }, { start: at(8, 16), end: at(8, 17) }];
  expect((await api.post(`/api/cases/${caseNumber}/peer-to-peer/windows`, { windows }, office.auth)).status).toBe(200);
  await physician.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Work queues' }).click();
  await heading(physician).filter({ hasText: 'Physician review queue' }).waitFor();
  await physician.getByRole('navigation', { name: 'Your queues' }).getByRole('link', { name: 'Peer-to-peer calls' }).click();
  await heading(physician).filter({ hasText: 'Peer-to-peer calls queue' }).waitFor();
  expect(await physician.locator(`tr[data-case="${caseNumber}"] td`).nth(1).innerText()).toBe('Peer-to-peer call to hold');
  await check(physician, 'peer-to-peer-queue');
  await openFromQueue(physician, caseNumber);
  const proposed = physician.locator('.rv-decisions .rv-windows li');
  expect(await proposed.count()).toBe(2);
  expect(await physician.getByRole('button', { name: 'Deny', exact: true }).count()).toBe(0);
  await check(physician, 'peer-to-peer-case-before');

  const overturned = physician.locator('form', { has: physician.getByRole('heading', { name: 'Overturned: approve after the call' }) });
  await overturned.getByLabel('What was agreed on the call').fill('Eight weeks of supervised therapy confirmed on the call');
  await overturned.getByRole('button', { name: 'Record: overturned' }).click();
  const message = await flashOf(physician).getByText(/Peer-to-peer recorded as overturned\. Exam 1 approved \(A1\) with order number/).innerText();
  const orderNumber = /order number (\S+)\.$/.exec(message)![1]!;
  expect(await physician.locator('section', { has: physician.getByRole('heading', { name: 'Peer-to-peer', exact: true }) }).innerText()).toContain('Overturned: approved after the call');
  await check(physician, 'peer-to-peer-case-overturned');

  const seen = await officeCase(caseNumber);
  expect(seen.exams[0]).toMatchObject({ status: 'APPROVED', decisionCode: 'A1' });
  expect(seen.exams[0].orders[0].number).toBe(orderNumber);
});
