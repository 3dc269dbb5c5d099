import type { Browser, Page } from 'playwright-core';
import { fixtures, members } from '../../prisma/seed/reference';
import { accessibilityProblems, errorsOf, launchBrowser, newPage, screenshot, signInThroughPortal } from '../support/browser';
import { PASSWORD, registration } from '../support/registration';
import { firstAdmin, signedInStaff, STAFF_PASSWORD } from '../support/staff';
import { startStack, type TestStack } from '../support/stack';

/**
 * A provider office uses the portal as a person does, in Chromium at 1024x768: registers in
 * four sections, confirms its email from the captured message, signs in enrolling an
 * authenticator app, submits a request that meets the guideline and sees its order number (and
 * prints it), and submits one that does not and adds Additional Information with its count; a
 * nurse approves that one in her own browser, and the office sees the approval and its order.
 * Screenshots are in test-artifacts/e2e/office/. These requests use CPT 72149 (lumbar MRI with
 * contrast), which no other suite submits: an active order of another suite cannot join them.
 */
let stack: TestStack;
let browser: Browser;
let page: Page;
let pendedCase: string;
let approvedCase: string;
const r = registration();
const today = new Date().toISOString().slice(0, 10);
const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await startStack({ STANDARD_DECISION_TIME: '1h' });
  browser = await launchBrowser();
  ({ page } = await newPage(browser, stack.baseUrl));
}, 60_000);
afterEach(() => {
  // No script error and no failed request in the page, whatever the test did.
  expect(errorsOf(page)).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const shot = (name: string) => screenshot(page, 'office', name);
async function accessible(name: string) {
  await shot(name);
  expect([name, await accessibilityProblems(page)]).toEqual([name, []]);
}

test('an office registers in four sections, with every problem beside its field, reviews and submits', async () => {
  await page.goto('/register');
  await page.getByRole('heading', { name: 'Register your office' }).waitFor();
  // Section 1, first with a mistake: the problems show beside their fields and in the summary.
  await page.getByLabel('First name').fill(r.user.firstName);
  await page.getByLabel('Email address').fill('not-an-email');
  await page.getByRole('button', { name: 'Next' }).click();
  const summary = page.locator('.problem-summary');
  await summary.waitFor();
  await expect(summary.innerText()).resolves.toContain('Last name is required');
  await expect(page.locator('[data-field="user.email"] .error').innerText()).resolves.toBe('Email address is not valid: enter an address such as name@example.org');
  await accessible('register-1-problems');
  await page.getByLabel('Last name').fill(r.user.lastName);
  await page.getByLabel('User role').selectOption('OFFICE_STAFF');
  await page.getByLabel('Organization name').fill(r.user.organization.name);
  await page.getByLabel('Street address').fill(r.user.organization.address.line1);
  await page.getByLabel('City').fill(r.user.organization.address.city);
  await page.getByLabel('State').selectOption('MA');
  await page.getByLabel('ZIP code').fill(r.user.organization.address.zip);
  await page.getByLabel('Email address').fill(r.user.email);
  await page.getByLabel('Phone number').fill(r.user.phone);
  await page.getByRole('button', { name: 'Next' }).click();
  // Section 2.
  await page.getByLabel('Username').waitFor();
  await page.getByLabel('Username').fill(r.login.username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password again').fill(PASSWORD);
  for (const [i, a] of r.login.securityAnswers.entries()) {
    await page.getByLabel(`Question ${i + 1}`, { exact: true }).selectOption(a.questionId);
    await page.getByLabel(`Answer ${i + 1}`, { exact: true }).fill(a.answer);
  }
  await accessible('register-2-login');
  await page.getByRole('button', { name: 'Next' }).click();
  // Section 3: the TIN's plans are listed to check.
  await page.getByLabel('Tax ID (TIN) 1').fill('04-1234567');
  await page.getByLabel('Tax ID (TIN) 1').blur();
  await page.getByRole('checkbox', { name: /Northeast Blue/ }).waitFor();
  await page.getByRole('checkbox', { name: /Great Lakes/ }).uncheck();
  await accessible('register-3-application');
  await page.getByRole('button', { name: 'Next' }).click();
  // Section 4, then the review page.
  await page.getByLabel('I agree to the terms of service').check();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('heading', { name: 'Review your registration' }).waitFor();
  const review = await page.locator('main').innerText();
  expect(review).toContain(`${r.user.firstName} ${r.user.lastName}`);
  expect(review).toContain('04-1234567');
  expect(review).not.toContain(PASSWORD);
  await accessible('register-4-review');
  // Edit goes back to the section with the answers kept.
  await page.getByRole('button', { name: 'Edit user details' }).click();
  await expect(page.getByLabel('Last name').inputValue()).resolves.toBe(r.user.lastName);
  for (let i = 0; i < 4; i++) await page.getByRole('button', { name: i < 3 ? 'Next' : 'Review' }).click();
  await page.getByRole('button', { name: 'Submit registration' }).click();
  await page.getByRole('heading', { name: 'Registration submitted' }).waitFor();
  await accessible('register-5-submitted');
});

test('the emailed link confirms the address; the first sign-in enrolls the authenticator app', async () => {
  const [mail] = await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject.startsWith('Confirm your email') });
  await page.goto(mail!.links.find((l) => l.includes('/verify-email?key='))!);
  await expect(page.locator('h1').innerText()).resolves.toMatch(/Email address confirmed/);
  await accessible('email-link-landing');
  await page.goto('/sign-in');
  await page.getByLabel('Username or email address').fill(r.login.username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('I have read and agree to the HIPAA disclaimer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor();
  await accessible('sign-in-enroll');
  await signInThroughPortal(page, { login: r.login.username, password: PASSWORD, email: r.user.email, mailbox: stack.mailbox });
  await page.getByRole('heading', { name: 'Your requests' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/cases');
  await accessible('dashboard-empty');
});

async function fillRequest(memberId: string, answers: 'met' | 'not met') {
  await page.getByRole('link', { name: 'New request' }).first().click();
  await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
  await page.getByLabel("Member id (from the member's card)").fill(memberId);
  await page.getByLabel('Ordering physician').selectOption(fixtures.harborviewPhysician);
  await page.getByRole('radio', { name: /Standard/ }).check();
  await page.getByLabel('Date of service').fill(inDays(10));
  // Code search as you type: choose the procedure and a diagnosis from the matches.
  await page.getByLabel('Procedure (CPT code)', { exact: true }).fill('72149');
  await page.getByRole('button', { name: /72149 .*with contrast/ }).click();
  await page.getByLabel('Add a diagnosis (ICD-10-CM)', { exact: true }).fill('lumbar radiculopathy');
  await page.getByRole('button', { name: /^M54\.16 / }).click();
  await page.getByLabel('Symptoms').fill('Left leg pain below the knee for 10 weeks');
  await page.getByLabel('Treatment and clinical history').fill('Naproxen and 8 weeks of physical therapy');
  await page.getByLabel('Servicing provider (NPI)', { exact: true }).fill('Back Bay');
  await page.getByRole('button', { name: /Back Bay Imaging Associates/ }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  // The guideline's questions come with the procedure.
  await page.getByRole('heading', { name: /^Guideline questions/ }).waitFor();
  await accessible(`request-questions-${answers.replace(' ', '-')}`);
  const yes = async (legend: RegExp, value: boolean) => page.getByRole('group', { name: legend }).getByRole('radio', { name: value ? 'Yes' : 'No' }).check();
  for (const flag of [/history of cancer/, /spinal infection/, /cauda equina/, /nerve deficit/, /fracture of the spine/, /surgery on the lower back/]) await yes(flag, false);
  await page.getByRole('group', { name: /best describes the symptoms/ }).getByRole('radio', { name: /sciatica/ }).check();
  await yes(/conservative care for this episode/, answers === 'met');
  if (answers === 'met') {
    // Asked only once conservative care is answered yes.
    await page.getByLabel(/How many weeks of conservative care/).fill('10');
    await yes(/include physical therapy/, true);
  }
  await page.getByRole('button', { name: 'Review and submit' }).click();
  await page.getByRole('heading', { name: 'Review your request' }).waitFor();
}

test('a request that meets the guideline is approved at once with an order number, which the office prints', async () => {
  const memberId = pool[20]!;
  await fillRequest(memberId, 'met');
  await expect(page.locator('main').innerText()).resolves.toContain('Meets the guideline');
  await accessible('request-review-met');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await page.getByRole('heading', { name: /^Case PA-/ }).waitFor();
  const main = await page.locator('main').innerText();
  expect(main).toContain('Approved');
  const order = (await page.locator('.order-number').first().innerText()).trim();
  expect(order).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]$/);
  await accessible('case-approved');
  // The order number is the one the database issued.
  const caseNumber = (await page.locator('h1').innerText()).replace('Case ', '');
  approvedCase = caseNumber;
  expect((await stack.prisma.orderNumber.findFirstOrThrow({ where: { case: { caseNumber } } })).number).toBe(order);
  // The printable page.
  await page.goto(`/cases/${caseNumber}/print`);
  await page.getByRole('heading', { name: 'Prior authorization order' }).waitFor();
  const printed = await page.locator('main').innerText();
  expect(printed).toContain(order);
  expect(printed).toContain(memberId);
  expect(printed).toContain('An order number is not a guarantee of payment');
  await page.emulateMedia({ media: 'print' });
  await shot('order-print');
  await page.emulateMedia({ media: 'screen' });
  expect(await accessibilityProblems(page)).toEqual([]);
});

test('a request that does not meet it is pended; the office adds Additional Information, counted as it types', async () => {
  await fillRequest(pool[21]!, 'not met');
  await expect(page.locator('main').innerText()).resolves.toContain('Goes to clinical review');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await page.getByRole('heading', { name: /^Case PA-/ }).waitFor();
  const caseNumber = (await page.locator('h1').innerText()).replace('Case ', '');
  pendedCase = caseNumber;
  await expect(page.locator('main').innerText()).resolves.toContain('Pended for clinical review');
  const box = page.getByLabel('Additional Information');
  await box.fill('x'.repeat(1995));
  await expect(page.locator('#info-count').innerText()).resolves.toBe('5 characters left');
  await box.fill('Eight sessions of physical therapy at another clinic; notes faxed. 🩺');
  await expect(page.locator('#info-count').innerText()).resolves.toBe(`${2000 - [...'Eight sessions of physical therapy at another clinic; notes faxed. 🩺'].length} characters left`);
  await accessible('case-pended');
  await page.getByRole('button', { name: 'Add for the reviewer' }).click();
  await page.getByText('Your Additional Information was added for the reviewer.').waitFor();
  const added = await stack.prisma.case.findUniqueOrThrow({ where: { caseNumber } });
  expect((added.view as { additionalInformation: { text: string }[] }).additionalInformation.map((a) => a.text)).toEqual(['Eight sessions of physical therapy at another clinic; notes faxed. 🩺']);
  // The dashboard lists both (with colleagues' cases of the same TIN: other suites' offices
  // register with it too), filters them by status and finds one by its number.
  await page.getByRole('link', { name: 'Requests', exact: true }).click();
  await page.getByRole('heading', { name: 'Your requests' }).waitFor();
  const listed = () => page.locator('tbody tr td:first-child').allInnerTexts();
  expect(await listed()).toEqual(expect.arrayContaining([approvedCase, caseNumber]));
  await page.getByLabel('Show').selectOption('review');
  expect(await listed()).toContain(caseNumber);
  expect(await listed()).not.toContain(approvedCase);
  await page.getByLabel('Show').selectOption('all');
  await page.getByLabel('Search by case number or member id').fill(caseNumber.slice(-7));
  expect(await listed()).toEqual([caseNumber]);
  await accessible('dashboard');
});

test('a nurse approves the pended request in her own browser; the office sees the approval and its order number', async () => {
  const nurse = await signedInStaff(stack, await firstAdmin(stack), 'NURSE', ['NEBHP']);
  const { context, page: nursePage } = await newPage(browser, stack.baseUrl);
  try {
    await signInThroughPortal(nursePage, { login: nurse.username, password: STAFF_PASSWORD, email: nurse.email, mailbox: stack.mailbox });
    await nursePage.waitForURL((u) => u.pathname === '/review');
    await nursePage.locator(`tr[data-case="${pendedCase}"]`).getByRole('link').click();
    await nursePage.getByRole('heading', { name: new RegExp(pendedCase) }).first().waitFor();
    // The office's Additional Information is in front of the nurse.
    await expect(nursePage.locator('main').innerText()).resolves.toContain('Eight sessions of physical therapy at another clinic');
    const approve = nursePage.locator('form', { has: nursePage.getByRole('heading', { name: 'Approve', exact: true }) });
    await approve.getByRole('button', { name: 'Approve', exact: true }).click();
    await nursePage.getByText(/Exam 1 approved \(A1\) with order number/).waitFor();
    await screenshot(nursePage, 'office', 'nurse-approved');
    expect(errorsOf(nursePage)).toEqual([]);
  } finally {
    await context.close();
  }
  await page.goto(`/cases/${pendedCase}`);
  await page.getByRole('heading', { name: `Case ${pendedCase}` }).waitFor();
  const main = await page.locator('main').innerText();
  expect(main).toContain('Approved');
  expect(main).toContain('Decision A1 certified');
  const order = (await page.locator('.order-number').first().innerText()).trim();
  expect((await stack.prisma.orderNumber.findFirstOrThrow({ where: { case: { caseNumber: pendedCase }, status: 'ACTIVE' } })).number).toBe(order);
  await accessible('case-approved-by-nurse');
  // The decision letter reached the office too.
  await stack.mailbox.waitFor(r.user.email, { match: (m) => m.subject === `Prior authorization decision for case ${pendedCase}` });
});

test('on the approved case the office changes the servicing provider, extends the order and cancels', async () => {
  const other = await stack.prisma.provider.findFirstOrThrow({
    where: { kind: 'SERVICING_FACILITY', services: { has: 'MRI' }, npi: { not: fixtures.bostonMriFacility }, networks: { some: { planId: 'NEBHP', inNetwork: true } } },
  });
  await page.goto(`/cases/${approvedCase}`);
  await page.getByRole('heading', { name: `Case ${approvedCase}` }).waitFor();
  const search = page.getByLabel('Change the servicing provider', { exact: true });
  // Out of network: the workflow refuses, and the page says why.
  await search.fill(fixtures.bostonOutOfNetworkMriFacility);
  await page.getByRole('button', { name: /Fenway Open MRI/ }).click();
  await page.getByRole('button', { name: 'Change the provider' }).click();
  await page.locator('.problem-summary').getByText(/not in network/).waitFor();
  await search.fill(other.npi);
  await page.getByRole('button', { name: new RegExp(other.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click();
  await page.getByRole('button', { name: 'Change the provider' }).click();
  await page.getByText('Exam 1: the servicing provider was changed.').waitFor();
  await expect(page.locator('main').innerText()).resolves.toContain(`Servicing provider: ${other.name}`);
  // Extension: a new order number; the old one is superseded.
  const before = (await page.locator('.order-number').first().innerText()).trim();
  await page.getByRole('button', { name: 'Extend the order of exam 1' }).click();
  await page.getByText('Exam 1: a new order number was issued.').waitFor();
  const after = (await page.locator('.order-number').first().innerText()).trim();
  expect(after).not.toBe(before);
  const orders = await stack.prisma.orderNumber.findMany({ where: { case: { caseNumber: approvedCase } }, orderBy: { sequence: 'asc' } });
  expect(orders.map((o) => [o.number, o.status])).toEqual([
    [before, 'SUPERSEDED'],
    [after, 'ACTIVE'],
  ]);
  await accessible('case-extended');
  // Cancel, with the reason.
  await page.getByText('Cancel this request').click();
  await page.getByLabel('Why is the request cancelled?').fill('The patient chose to wait');
  await page.getByRole('button', { name: 'Cancel the request' }).click();
  await page.getByText('The request was cancelled.').waitFor();
  await expect(page.locator('main').innerText()).resolves.toContain('Decision C cancelled');
  expect((await stack.prisma.orderNumber.findUniqueOrThrow({ where: { number: after } })).status).toBe('CANCELLED');
});

test('a request takes several exams; the profile adds a health plan of the office\'s TIN', async () => {
  await page.getByRole('link', { name: 'New request' }).first().click();
  await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Add another exam' }).click();
  await page.getByRole('group', { name: 'Exam 2' }).waitFor();
  expect(await page.getByLabel('Procedure (CPT code)', { exact: true }).count()).toBe(2);
  await page.getByRole('button', { name: 'Remove exam 2' }).click();
  await page.getByText('The request has 1 exam(s).').waitFor();
  expect(await page.getByLabel('Procedure (CPT code)', { exact: true }).count()).toBe(1);

  // Registered for Northeast Blue only; its TIN is contracted with Great Lakes too.
  await page.getByRole('link', { name: 'Profile' }).click();
  await page.getByRole('heading', { name: 'Your profile' }).waitFor();
  await page.getByRole('checkbox', { name: /Great Lakes Community Health/ }).check();
  await accessible('profile');
  await page.getByRole('button', { name: 'Add to my profile' }).click();
  await page.getByText('Added: GLCH.').waitFor();
  await expect(page.locator('main ul').first().innerText()).resolves.toContain('Great Lakes Community Health (GLCH)');
  const me = await stack.prisma.userHealthPlan.findMany({ where: { user: { username: r.login.username } } });
  expect(me.map((p) => p.planId).sort()).toEqual(['GLCH', 'NEBHP']);
});
