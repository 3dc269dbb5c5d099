import type { Browser, Locator, Page } from 'playwright-core';
import { members } from '../../prisma/seed/reference';
import { accessibilityProblems, errorsOf, launchBrowser, newPage, screenshot, signInThroughPortal } from '../support/browser';
import { eventually } from '../support/eventually';
import { apiClient } from '../support/http';
import { LUMBAR_MET, LUMBAR_NOT_MET, submitLumbarMri } from '../support/cases';
import { accessKeyLink, registration, signedInOffice } from '../support/registration';
import { staffTeam, STAFF_PASSWORD } from '../support/staff';
import { startStack, type TestStack } from '../support/stack';

/**
 * The support pages of the portal in a real Chromium, against the real stack: stuck work is
 * made to happen as test/support-console.test.ts makes it (a mirror row changed behind the
 * system's back, an expedited review past its due time, a registration waiting on support), and
 * support finds it, reads why in plain words and repairs it through the pages only. The API and
 * the database are used to set the situation up and to check the outcome. Expedited decisions
 * are due in 6 s here.
 */
const SUITE = 'support';
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let team: Awaited<ReturnType<typeof staffTeam>>;
let office: Awaited<ReturnType<typeof signedInOffice>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startStack({ EXPEDITED_DECISION_TIME: '6s', MIRROR_AUDIT_GRACE: '1s', STANDARD_DECISION_TIME: '1h' });
  api = apiClient(stack.baseUrl);
  [team, office, browser] = await Promise.all([staffTeam(stack, ['NEBHP']), signedInOffice(stack.baseUrl, stack.mailbox), launchBrowser()]);
  ({ page } = await newPage(browser, stack.baseUrl));
  page.setDefaultTimeout(20_000);
  await signInAsSupport();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Support signs in through the portal's sign-in page, and lands on the stuck work. */
async function signInAsSupport(): Promise<void> {
  await signInThroughPortal(page, { login: team.support.username, password: STAFF_PASSWORD, email: team.support.email, mailbox: stack.mailbox });
  await page.waitForURL((url) => url.pathname === '/support');
}

const today = new Date().toISOString().slice(0, 10);
// Members from index 44 on: other suites take theirs from elsewhere in the list.
const pool = members.filter((m) => m.planId === 'NEBHP' && m.eligibleFrom <= today && !m.eligibleTo).map((m) => m.id).slice(44);
const MET = LUMBAR_MET;
const NOT_MET = LUMBAR_NOT_MET;

/** An office submits a lumbar MRI request (API: setting the situation up). */
const submit = (answers: object, urgency: 'STANDARD' | 'URGENT' = 'STANDARD') => submitLumbarMri(api, office.auth, { memberId: pool.shift()!, procedureCode: '72158', answers, urgency });

const stuckOf = async (workflowId: string) =>
  ((await api.get('/api/support/stuck', team.support.auth)).body.stuck as { workflowId: string; reasons: { kind: string }[] }[]).find((s) => s.workflowId === workflowId);
const repairsOf = (workflowId: string) => stack.prisma.auditEvent.findMany({ where: { subjectType: 'workflow', subjectId: workflowId, action: { startsWith: 'support.' } }, orderBy: { id: 'asc' } });
const caseRow = (caseNumber: string) => stack.prisma.case.findUniqueOrThrow({ where: { caseNumber } });

/** The page's heading, once the router has drawn the page. */
async function heading(text: string | RegExp): Promise<void> {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
}

/** The flash message the page shows after a repair. */
const flashText = () => page.locator('.flash .notice').innerText();

/** The API's refusals the tests cause on purpose (the browser logs each failed request). */
const REFUSED = /Failed to load resource: the server responded with a status of (400|404|409)/;

async function check(name: string): Promise<void> {
  await screenshot(page, SUITE, name);
  expect(await accessibilityProblems(page)).toEqual([]);
  expect(errorsOf(page).filter((e) => !REFUSED.test(e))).toEqual([]);
}

/** Runs `action`, which draws a page (another, or the same again), and waits for the new drawing. */
async function redrawn(action: () => Promise<void>): Promise<void> {
  await page.locator('main').evaluate((m) => m.setAttribute('data-old', ''));
  await action();
  await page.locator('main:not([data-old]) h1').waitFor();
}

const nav = (name: string): Locator => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
const article = (name: string | RegExp): Locator => page.getByRole('article', { name });

test('a mirror row changed behind the system\'s back: the mirror check on the stuck page finds it, support writes the database again from the workflow, the case leaves the list', async () => {
  const c = await submit(NOT_MET);
  await eventually(async () => (await caseRow(c.caseNumber)).status, (s) => s === 'PENDED_NURSE');
  await stack.prisma.$executeRaw`UPDATE "Case" SET "status" = 'DECIDED', "waitingOn" = 'NOBODY' WHERE "caseNumber" = ${c.caseNumber}`;
  await new Promise((r) => setTimeout(r, 1_200)); // older than MIRROR_AUDIT_GRACE: not a step in flight

  await redrawn(() => nav('Stuck work').click());
  await heading('Stuck work');
  await redrawn(() => page.getByRole('button', { name: 'Check the database mirror now' }).click());
  await page.locator('.flash .notice').waitFor();
  expect(await flashText()).toMatch(/^Database mirror checked at .+: (1 running case or registration|\d+ running cases and registrations) compared, [1-9]\d* differs? from (its|their) workflows?, \d+ earlier differences? (is|are) gone\.$/);

  const item = article(`Case ${c.caseNumber}`);
  await item.waitFor();
  const text = await item.innerText();
  expect(text).toContain('the database disagrees with the workflow: the workflow says status PENDED_NURSE, the database says DECIDED');
  expect(text).toContain('the database disagrees with the workflow: the workflow says waitingOn NURSE, the database says NOBODY');
  expect(await item.getByText('The database copy differs').count()).toBe(2);
  // One repair for the whole case, however many reasons list it.
  expect(await item.getByRole('button', { name: 'Write the database again from the workflow' }).count()).toBe(1);
  await check('stuck-mirror-drift');

  // The form asks why; too short a reason is refused beside the field.
  await item.getByRole('button', { name: 'Write the database again from the workflow' }).click();
  const why = item.getByLabel('Why? (kept in the audit log)');
  expect(await why.evaluate((el) => el === (el.ownerDocument as unknown as { activeElement: unknown }).activeElement)).toBe(true);
  await why.fill('fix');
  await item.getByRole('button', { name: 'Write the database again', exact: true }).click();
  await item.locator('.field.has-error').waitFor();
  expect(await item.locator('.field.has-error .error').innerText()).toBe('Say why, in at least 5 characters (kept in the audit log)');
  expect(await item.locator('.problem-summary').innerText()).toContain('Say why, in at least 5 characters');
  expect((await caseRow(c.caseNumber)).status).toBe('DECIDED');
  await check('stuck-resync-refused');

  await why.fill('Someone edited the row by hand during the data fix');
  await redrawn(() => item.getByRole('button', { name: 'Write the database again', exact: true }).click());
  await page.getByText('The database copy matches the workflow again.').waitFor();
  await heading('Stuck work');
  expect(await article(`Case ${c.caseNumber}`).count()).toBe(0);
  expect(await caseRow(c.caseNumber)).toMatchObject({ status: 'PENDED_NURSE', waitingOn: 'NURSE' });
  expect(await stuckOf(c.workflowId)).toBeUndefined();
  expect((await repairsOf(c.workflowId)).map((a) => [a.action, a.actor, (a.details as { reason: string }).reason])).toEqual([
    ['support.mirror_resynced', `user:${team.support.userId}`, 'Someone edited the row by hand during the data fix'],
  ]);
  await check('stuck-after-resync');
});

test('an expedited review past its due time is listed as overdue on the stuck page, found with the filters, and reassigned to the team\'s nurse', async () => {
  const c = await submit(NOT_MET, 'URGENT');
  // Found on the Find page while it is at risk (due within AT_RISK_WITHIN), with the filters.
  await redrawn(() => nav('Find').click());
  await heading('Find a case or registration');
  await page.getByLabel('Type').selectOption('CASE');
  await page.getByLabel('Waiting on').selectOption('NURSE');
  await page.getByLabel('Only cases at risk of missing their decision due time, or overdue').check();
  await redrawn(() => page.getByRole('button', { name: 'Show', exact: true }).click());
  await page.waitForURL((u) => u.search.includes('atRisk=true'));
  await heading('Find a case or registration');
  expect(new URL(page.url()).searchParams.toString()).toBe('type=CASE&waitingOn=NURSE&atRisk=true');
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: `Case ${c.caseNumber}` }) });
  await row.waitFor();
  expect(await row.innerText()).toMatch(/Waiting for a nurse review\s+PENDED_NURSE\s+A nurse review/);
  expect(await page.getByLabel('Type').inputValue()).toBe('CASE');
  await check('find-at-risk');
  // Longer than a day in its state: not this one.
  await page.getByLabel('In this state for longer than').selectOption('1d');
  await redrawn(() => page.getByRole('button', { name: 'Show', exact: true }).click());
  await page.waitForURL((u) => u.search.includes('inStateFor=1d'));
  await heading('Find a case or registration');
  await page.locator('main .notice, main table').first().waitFor();
  expect(await page.getByRole('link', { name: `Case ${c.caseNumber}` }).count()).toBe(0);

  // Past its due time: overdue on the stuck list.
  await eventually(() => stuckOf(c.workflowId), (s) => !!s?.reasons.some((r) => r.kind === 'OVERDUE'), 20_000);
  await redrawn(() => nav('Stuck work').click());
  await heading('Stuck work');
  const item = article(`Case ${c.caseNumber}`);
  await item.waitFor();
  expect(await item.innerText()).toMatch(/Overdue\s+waiting on a nurse review for \d+ s, \d+ s past the decision due time \(20\d\d-.+Z\)/);
  expect(await item.innerText()).toMatch(/Assigned to\s+Nobody/);

  // The office's username is refused, with the API's words, in the form.
  await item.getByRole('button', { name: 'Reassign', exact: true }).click();
  await item.getByLabel("Reviewer's username").fill(office.username);
  await item.getByLabel('Why? (kept in the audit log)').fill('Nina covers the overdue expedited cases today');
  await item.getByRole('button', { name: 'Reassign the case' }).click();
  await item.locator('.problem-summary:not([hidden])').waitFor();
  expect(await item.locator('.problem-summary').innerText()).toContain(`${office.username} is not an active nurse or physician of health plan NEBHP`);
  expect(await item.locator('[data-field="username"] .error').innerText()).toBe(`${office.username} is not an active nurse or physician of health plan NEBHP`);
  expect((await caseRow(c.caseNumber)).assignedTo).toBeNull();
  await check('stuck-overdue-reassign-refused');

  await item.getByLabel("Reviewer's username").fill(team.nurse.username);
  await redrawn(() => item.getByRole('button', { name: 'Reassign the case' }).click());
  await page.getByText(`Case ${c.caseNumber} is now assigned to ${team.nurse.username} (it was assigned to nobody).`).waitFor();
  await heading('Stuck work');
  expect((await caseRow(c.caseNumber)).assignedTo).toBe(team.nurse.username);
  // Still overdue (a reassignment does not decide it), now with its reviewer.
  expect(await article(`Case ${c.caseNumber}`).innerText()).toMatch(new RegExp(`Assigned to\\s+${team.nurse.username.replace(/\./g, '\\.')}`));
  expect((await repairsOf(c.workflowId)).map((a) => [a.action, (a.details as { to: string }).to])).toEqual([['support.reassigned', team.nurse.username]]);
  await check('stuck-overdue-reassigned');
});

test('a registration waiting on support is approved from the registrations page; a too-short rejection reason is refused first', async () => {
  const r = registration((x) => (x.user.organization.name = 'Harbor View Medical Group'));
  const created = await api.post('/api/registrations', r);
  expect(created.status).toBe(201);
  const registrationId = created.body.registrationId as string;
  expect((await fetch(await accessKeyLink(stack.mailbox, r.user.email), { headers: { accept: 'application/json' } })).status).toBe(200);
  await eventually(() => stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } }), (u) => u.status === 'PENDING_ACTIVATION' && !!u.statusReason, 15_000);

  await redrawn(() => nav('Registrations').click());
  await heading('Registrations waiting for a decision');
  const item = article(new RegExp(`\\(${r.login.username}\\)$`));
  await item.waitFor();
  const text = await item.innerText();
  expect(text).toContain('Why automatic verification could not decide');
  expect(text).toContain('The organization name "Harbor View Medical Group" does not match "Harborview Family Medicine, P.C.", the name on file for TIN 04-1234567');
  expect(text).toContain(r.user.email);
  await check('registrations-waiting');

  await item.getByRole('button', { name: 'Reject', exact: true }).click();
  await item.getByLabel('Reason the office will read').fill('Too short');
  await item.getByRole('button', { name: 'Reject the registration' }).click();
  await item.locator('.field.has-error').waitFor();
  expect(await item.locator('.field.has-error .error').innerText()).toBe('A rejection needs a reason of at least 10 characters that the office will read');
  expect((await stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } })).status).toBe('PENDING_ACTIVATION');
  await check('registrations-reject-refused');

  // The person called the office: the organization is right; approve.
  await item.getByRole('button', { name: 'Approve', exact: true }).click();
  expect(await item.getByLabel('Reason the office will read').count()).toBe(0);
  await redrawn(() => item.getByRole('button', { name: 'Approve the registration' }).click());
  await page.getByText(`The registration of Harbor View Medical Group (${r.login.username}) is approved: its status is now "Active".`).waitFor();
  await heading('Registrations waiting for a decision');
  expect(await article(new RegExp(`\\(${r.login.username}\\)$`)).count()).toBe(0);
  const user = await eventually(() => stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } }), (u) => u.status === 'ACTIVE');
  expect(user.status).toBe('ACTIVE');
  await stack.mailbox.waitFor(r.user.email, { match: (m) => !m.subject.startsWith('Confirm your email') });
  await check('registrations-approved');
});

test('the detail page of a case, opened by its case number, tells its history in words with its timers, emails, the database copy and the Web UI link; a letter is sent again from it', async () => {
  const c = await submit(MET);
  await stack.mailbox.waitFor(office.email, { match: (m) => m.subject === `Prior authorization decision for case ${c.caseNumber}` });
  await eventually(async () => (await api.get(`/api/support/workflows/${c.workflowId}`, team.support.auth)).body, (v) => v.emails?.[0]?.status === 'SENT' && v.mirror?.matches === true);

  await redrawn(() => nav('Find').click());
  await heading('Find a case or registration');
  // A case number that does not exist: the API's words beside the box.
  await page.getByLabel('Case number, registration id or workflow id').fill('PA-0000-0000-000');
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.locator('[data-field="ref"].has-error').waitFor();
  expect(await page.locator('[data-field="ref"] .error').innerText()).toContain('Nothing matches PA-0000-0000-000');
  await page.getByLabel('Case number, registration id or workflow id').fill(c.caseNumber);
  await redrawn(() => page.getByRole('button', { name: 'Open', exact: true }).click());
  await heading(`Case ${c.caseNumber}`);
  expect(new URL(page.url()).pathname).toBe(`/support/workflows/${c.workflowId}`);

  const { runId } = await stack.temporal.workflow.getHandle(c.workflowId).describe();
  const webUi = page.getByRole('link', { name: 'Open it in the Temporal Web UI (opens in a new tab)' });
  expect(await webUi.getAttribute('href')).toBe(`${stack.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${c.workflowId}/${runId}/history`);
  const timeline = await page.locator('ol.timeline li').allInnerTexts();
  const texts = timeline.map((t) => t.split('\n').slice(1).join(' ').trim());
  expect(texts).toEqual(expect.arrayContaining(['started (caseWorkflowV4)', 'opening the case (checking the request and its guidelines): done', 'decision letter email: done']));
  expect(timeline.every((t) => /^[A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d:\d\d [AP]M\n/.test(t))).toBe(true);
  expect(texts.join('\n')).not.toMatch(/WorkflowTask|workflowTask/);
  const main = await page.locator('main').innerText();
  expect(main).toMatch(/Workflow\s+Running/);
  expect(main).toContain('The database says what the workflow says.');
  expect(main).toContain(`Prior authorization decision for case ${c.caseNumber}`);
  expect(await page.getByRole('region', { name: 'Timers' }).locator('tbody tr').count()).toBeGreaterThan(0);
  await check('workflow-case');

  // The office says the letter never arrived: sent again, once, audited.
  const emails = page.getByRole('region', { name: 'Emails' });
  await emails.getByRole('button', { name: 'Send again' }).click();
  await emails.getByLabel('Why? (kept in the audit log)').fill('The office deleted the email by mistake');
  await screenshot(page, SUITE, 'workflow-case-resend-form');
  await redrawn(() => emails.getByRole('button', { name: 'Send the letter again' }).click());
  await page.getByText(`The letter is on its way again to the office (Prior authorization decision for case ${c.caseNumber})`).waitFor();
  await heading(`Case ${c.caseNumber}`);
  await stack.mailbox.waitFor(office.email, { count: 2, match: (m) => m.subject === `Prior authorization decision for case ${c.caseNumber}` });
  expect((await repairsOf(c.workflowId)).map((a) => [a.action, (a.details as { reason: string }).reason])).toEqual([['support.letter_resent', 'The office deleted the email by mistake']]);
  expect(await page.locator('ol.timeline').innerText()).toContain(`sent again by ${team.support.username}`);
  await check('workflow-case-resent');
});

test('a registration waiting on its email, opened by its registration id: support sends a new access key from its detail page', async () => {
  const r = registration();
  const created = await api.post('/api/registrations', r);
  const registrationId = created.body.registrationId as string;
  await accessKeyLink(stack.mailbox, r.user.email);
  await eventually(() => stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } }), (u) => u.status === 'PENDING_EMAIL' && !!u.workflowId);
  const { workflowId } = await stack.prisma.user.findUniqueOrThrow({ where: { id: registrationId } });

  await redrawn(() => nav('Find').click());
  await heading('Find a case or registration');
  await page.getByLabel('Case number, registration id or workflow id').fill(registrationId);
  await redrawn(() => page.getByRole('button', { name: 'Open', exact: true }).click());
  await heading('Registration of Harborview Family Medicine, P.C.');
  expect(new URL(page.url()).pathname).toBe(`/support/workflows/${workflowId}`);
  expect(await page.locator('main').innerText()).toMatch(/Waiting on\s+The office to confirm its email/);
  await check('workflow-registration');

  const repairs = page.getByRole('region', { name: 'Repairs' });
  await repairs.getByRole('button', { name: 'Send a new access key' }).click();
  await repairs.getByLabel('Why? (kept in the audit log)').fill('The office cannot find the first email');
  await redrawn(() => repairs.getByRole('button', { name: 'Email the new link' }).click());
  await page.getByText('A new access key link is on its way to the office (send 2).').waitFor();
  await accessKeyLink(stack.mailbox, r.user.email, 2);
  expect((await repairsOf(workflowId!)).map((a) => a.action)).toEqual(['support.access_key_resent']);
});
