import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { accessibilityProblems, launchBrowser, newPage, screenshot, signInThroughPortal } from '../support/browser';
import { apiClient } from '../support/http';
import { acceptInvitation, firstAdmin, isInvitationMail, STAFF_PASSWORD, type SignedInStaff } from '../support/staff';
import { startStack, type TestStack } from '../support/stack';

/**
 * The administrators' accounts pages in real Chromium at 1024x768, as an administrator uses
 * them: sign in through the portal, create a nurse (the plans problem beside its field first),
 * find her, change her to a physician of another plan and disable her. What the pages did is
 * checked through the admin API and the audit log; every page state is screenshotted and checked
 * with axe-core.
 */
let stack: TestStack;
let api: ReturnType<typeof apiClient>;
let admin: SignedInStaff;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  stack = await startStack();
  api = apiClient(stack.baseUrl);
  admin = await firstAdmin(stack);
  browser = await launchBrowser();
  ({ context, page } = await newPage(browser, stack.baseUrl));
  await signInThroughPortal(page, { login: admin.username, password: STAFF_PASSWORD, email: admin.email, mailbox: stack.mailbox });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await stack?.stop();
});


/** The text of the first element `locator` finds, once it is there. */
async function textOf(locator: Locator): Promise<string> {
  await locator.first().waitFor();
  return (await locator.first().innerText()).replace(/\s+/g, ' ').trim();
}

async function check(name: string): Promise<void> {
  await screenshot(page, 'admin', name);
  expect(await accessibilityProblems(page)).toEqual([]);
}

/** 8 random letters: names take letters only, and usernames and emails stay unique. */
const letters = () => randomUUID().slice(0, 8).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!);
/** Submits the filters and waits for the list they give (not the one shown before). */
async function findAccounts(): Promise<Locator> {
  await page.locator('.admin-results').evaluate((el) => el.setAttribute('data-before', ''));
  await page.getByRole('button', { name: 'Find accounts' }).click();
  const fresh = page.locator('.admin-results:not([data-before])');
  await fresh.locator('.counter').waitFor();
  return fresh;
}

const heading = () => textOf(page.locator('main h1'));
/** The flash message on the page, once it says `expected` (a flash stays until the next page). */
const flashText = (expected: string) => textOf(page.locator('.flash .notice', { hasText: expected }));
const auditOf = async (userId: string) => (await api.get(`/api/support/audit?subjectId=${userId}`, admin.auth)).body.events as { action: string; actor: string; details: unknown }[];

test('an administrator creates a nurse, finds her, makes her a physician of another plan and disables her', async () => {
  await page.waitForURL('**/admin/users');
  expect(await heading()).toBe('Accounts');
  // The list shows the administrator's own account, with its state in words.
  const ownRow = page.getByRole('row', { name: new RegExp(admin.username) });
  expect(await textOf(ownRow)).toContain('Administrator');
  expect(await textOf(ownRow)).toContain('active');
  await check('accounts');

  const id = letters();
  const nurse = { firstName: 'Nadia', lastName: `Lind${id}`, username: `nlind_${id}`, email: `nadia.${id}@plan-staff.example` };
  const name = `${nurse.firstName} ${nurse.lastName}`;
  const create = page.locator('form[aria-labelledby="create-heading"]');
  await create.getByLabel('First name').fill(nurse.firstName);
  await create.getByLabel('Last name').fill(nurse.lastName);
  await create.getByLabel('Email address').fill(nurse.email);
  await create.getByLabel('Username').fill(nurse.username);
  await create.getByLabel('Role').selectOption({ label: 'Nurse reviewer' });
  await create.getByRole('button', { name: 'Create the account and email the invitation' }).click();

  // Without a plan, the API's problem is beside the plans and in the summary; nothing is created.
  const plansError = create.locator('[data-field="planIds"] > .error');
  await create.locator('[data-field="planIds"] > .error', { hasText: /\w/ }).waitFor();
  expect(await textOf(plansError)).toBe('A nurse works the health plans they are assigned: name at least one');
  expect(await textOf(create.locator('.problem-summary'))).toContain('A nurse works the health plans they are assigned: name at least one');
  expect(await create.locator('[data-field="planIds"]').getAttribute('class')).toContain('has-error');
  expect(await stack.prisma.user.count({ where: { username: nurse.username } })).toBe(0);
  await check('create-problem');

  await create.getByRole('checkbox', { name: /\(NEBHP\)/ }).check();
  await create.getByRole('button', { name: 'Create the account and email the invitation' }).click();
  const created = await textOf(page.locator('.admin-created .notice'));
  expect(created).toContain(`The account of ${name} (nurse reviewer) is created. An invitation is on its way to n\u2022\u2022\u2022@plan-staff.example`);
  // The earlier problem goes away (the page clears it as it renders the notice; waited for, as
  // a loaded machine can show one a frame before the other).
  await create.locator('.problem-summary').waitFor({ state: 'hidden', timeout: 5000 });
  // The form is empty again for the next person.
  expect(await create.getByLabel('Username').inputValue()).toBe('');
  await check('created');

  const made = await stack.prisma.user.findFirstOrThrow({ where: { username: nurse.username }, include: { plans: true } });
  expect([made.accessRole, made.status, made.plans.map((p) => p.planId)]).toEqual(['NURSE', 'PENDING_EMAIL', ['NEBHP']]);
  await stack.mailbox.waitFor(nurse.email, { match: isInvitationMail });

  // A one-letter search is refused beside the search box; her username finds her.
  const search = page.getByLabel('Name, username or email');
  await search.fill('n');
  await page.getByRole('button', { name: 'Find accounts' }).click();
  expect(await textOf(page.locator('[data-field="q"] > .error'))).toBe('Enter at least 2 characters to search, or leave the search empty');
  await search.fill(nurse.username);
  const found = await findAccounts();
  expect(new URL(page.url()).searchParams.get('q')).toBe(nurse.username);
  expect(await textOf(found.locator('.counter'))).toBe('1 account matches.');
  expect(await found.locator('table.admin-accounts tbody tr').count()).toBe(1);
  const row = found.getByRole('row', { name: new RegExp(name) });
  const rowText = await textOf(row);
  for (const part of [nurse.username, nurse.email, 'Nurse reviewer', 'invited', 'the password is not chosen yet', 'NEBHP', 'Never']) expect(rowText).toContain(part);
  await check('found');

  // She follows the emailed invitation, chooses her password and signs in (outside the browser).
  const signedIn = await acceptInvitation(stack, { ...nurse, userId: made.id, accessRole: 'NURSE' });
  expect((await api.get('/api/me', signedIn.auth)).status).toBe(200);

  await row.getByRole('link', { name }).click();
  await page.waitForURL(`**/admin/users/${made.id}`);
  expect(await heading()).toBe(name);
  const state = page.locator('dl.summary .admin-state');
  expect(await textOf(state)).toBe('active');
  expect(await page.getByRole('button', { name: 'Send a new invitation' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Enable the account' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Unlock the account' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Reset the authenticator app' }).count()).toBe(1);
  await check('account-active');

  // Physician for GLCH instead of nurse for NEBHP.
  const roleForm = page.locator('form[aria-labelledby="role-heading"]');
  await roleForm.getByLabel('Role').selectOption({ label: 'Physician reviewer' });
  await page.getByRole('checkbox', { name: /\(NEBHP\)/ }).uncheck();
  await page.getByRole('checkbox', { name: /\(GLCH\)/ }).check();
  await page.getByRole('button', { name: 'Save the role and plans' }).click();
  expect(await flashText('Saved')).toBe(`Saved: ${name} is a physician reviewer, for GLCH, from their next request.`);
  expect(await roleForm.getByLabel('Role').inputValue()).toBe('PHYSICIAN');
  expect(await page.getByRole('checkbox', { name: /\(GLCH\)/ }).isChecked()).toBe(true);
  expect(await page.getByRole('checkbox', { name: /\(NEBHP\)/ }).isChecked()).toBe(false);
  expect(await textOf(page.locator('dl.summary'))).toContain('Physician reviewer');
  await check('account-changed');

  // Disabling needs a reason the audit log keeps: a too short one is refused beside its field.
  const disable = page.locator('form', { has: page.getByRole('button', { name: 'Disable the account' }) });
  await disable.getByLabel('Reason for disabling').fill('x');
  await disable.getByRole('button', { name: 'Disable the account' }).click();
  expect(await textOf(disable.locator('[data-field="reason"] > .error'))).toBe('Say why, in at least 5 characters (kept in the audit log)');
  expect(await disable.getByLabel('Reason for disabling').getAttribute('aria-invalid')).toBe('true');
  await check('disable-problem');

  await disable.getByLabel('Reason for disabling').fill('Left the clinical team');
  await disable.getByRole('button', { name: 'Disable the account' }).click();
  expect(await flashText('disabled')).toBe(`${name}\u2019s account is disabled.`);
  expect(await textOf(state)).toBe('disabled Left the clinical team');
  expect(await page.getByRole('button', { name: 'Disable the account' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Enable the account' }).count()).toBe(1);
  const history = await textOf(page.locator('section', { has: page.getByRole('heading', { name: 'Recent history' }) }));
  for (const part of ['Account disabled', 'Left the clinical team', 'Role or plans changed', 'role Nurse reviewer to Physician reviewer; plans NEBHP to GLCH', 'Staff account created', admin.username]) expect(history).toContain(part);
  await check('account-disabled');

  // What the pages did, as the API tells it.
  const account = await api.get(`/api/admin/users/${made.id}`, admin.auth);
  expect(account.status).toBe(200);
  expect(account.body).toMatchObject({ accessRole: 'PHYSICIAN', planIds: ['GLCH'], disabledReason: 'Left the clinical team', state: 'disabled: Left the clinical team', createdBy: `admin:${admin.username}` });
  // Disabling ended her session at once.
  expect((await api.get('/api/me', signedIn.auth)).status).toBe(401);
  const events = await auditOf(made.id);
  const by = (action: string) => events.filter((e) => e.action === action);
  expect(by('staff.created').map((e) => [e.actor, e.details])).toEqual([[`user:${admin.userId}`, { accessRole: 'NURSE', planIds: ['NEBHP'], createdBy: `admin:${admin.username}` }]]);
  expect(by('staff.changed').map((e) => [e.actor, e.details])).toEqual([[`user:${admin.userId}`, { accessRole: { from: 'NURSE', to: 'PHYSICIAN' }, planIds: { from: ['NEBHP'], to: ['GLCH'] } }]]);
  expect(by('account.disabled').map((e) => [e.actor, e.details])).toEqual([[`user:${admin.userId}`, { reason: 'Left the clinical team' }]]);

  // The list's filters: a disabled physician is among the disabled physicians, not among the others.
  await page.getByRole('link', { name: 'All accounts' }).click();
  await page.waitForURL('**/admin/users');
  await page.getByRole('search').getByLabel('Role').selectOption({ label: 'Physician reviewer' });
  await page.getByLabel('Disabled', { exact: true }).selectOption({ label: 'Disabled only' });
  const disabledOnly = await findAccounts();
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({ accessRole: 'PHYSICIAN', disabled: 'true' });
  expect(await disabledOnly.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
  for (const r of await disabledOnly.locator('tbody tr').all()) expect(await textOf(r)).toMatch(/Physician reviewer disabled/);
  const disabledRow = disabledOnly.getByRole('row', { name: new RegExp(name) });
  expect(await textOf(disabledRow)).toContain('disabled Left the clinical team');
  expect(await textOf(disabledRow)).toContain('Physician reviewer');
  expect(await textOf(disabledRow)).toContain('GLCH');
  await check('filtered-disabled');
  await page.getByLabel('Disabled', { exact: true }).selectOption({ label: 'Not disabled' });
  const notDisabled = await findAccounts();
  expect(new URL(page.url()).searchParams.get('disabled')).toBe('false');
  expect(await notDisabled.getByRole('row', { name: new RegExp(name) }).count()).toBe(0);
  for (const r of await notDisabled.locator('tbody tr').all()) expect(await textOf(r)).not.toContain('disabled');
});

test("the API's refusals are shown on the page; an invited person gets a new invitation", async () => {
  // Nobody disables their own account: the page offers it, and shows why the API refuses.
  await page.goto(`/admin/users/${admin.userId}`);
  expect(await heading()).toBe(`Ada Tester`);
  expect(await textOf(page.locator('main .notice'))).toContain('This is your own account');
  const disable = page.locator('form', { has: page.getByRole('button', { name: 'Disable the account' }) });
  await disable.getByLabel('Reason for disabling').fill('Trying to lock myself out');
  await disable.getByRole('button', { name: 'Disable the account' }).click();
  expect(await textOf(disable.locator('.problem-summary'))).toContain('You cannot disable your own account: ask another administrator');
  await check('own-account-refused');
  expect((await api.get(`/api/admin/users/${admin.userId}`, admin.auth)).body.disabledReason).toBeNull();

  // An invited support person: only the actions that apply are offered, and a new invitation goes out.
  const id = letters();
  const sam = { firstName: 'Sam', lastName: `Reyes${id}`, username: `sreyes_${id}`, email: `sam.${id}@plan-staff.example` };
  const made = await api.post('/api/admin/staff', { ...sam, accessRole: 'SUPPORT', planIds: [] }, admin.auth);
  expect(made.status).toBe(201);
  await stack.mailbox.waitFor(sam.email, { match: isInvitationMail });
  await page.goto(`/admin/users/${made.body.userId}`);
  expect(await heading()).toBe(`Sam Reyes${id}`);
  expect(await textOf(page.locator('dl.summary .admin-state'))).toBe('invited the password is not chosen yet');
  expect(await page.getByRole('button', { name: 'Reset the authenticator app' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Unlock the account' }).count()).toBe(0);
  expect(await page.getByRole('button', { name: 'Enable the account' }).count()).toBe(0);
  await page.getByRole('button', { name: 'Send a new invitation' }).click();
  expect(await textOf(page.locator('main .notice', { hasText: 'new invitation' }))).toMatch(/^A new invitation is on its way to /);
  await stack.mailbox.waitFor(sam.email, { count: 2, match: isInvitationMail });

  // Support staff serve every plan: a plan is refused beside the plans.
  await page.getByRole('checkbox', { name: /\(NEBHP\)/ }).check();
  await page.getByRole('button', { name: 'Save the role and plans' }).click();
  const roleForm = page.locator('form[aria-labelledby="role-heading"]');
  expect(await textOf(roleForm.locator('[data-field="planIds"] > .error'))).toBe('Support staff serve every health plan: leave planIds empty');
  await check('invited-account');
  expect((await api.get(`/api/admin/users/${made.body.userId}`, admin.auth)).body).toMatchObject({ accessRole: 'SUPPORT', planIds: [], status: 'PENDING_EMAIL' });
  expect((await auditOf(made.body.userId)).filter((e) => e.action === 'account.invitation_sent' && e.actor === `user:${admin.userId}`)).toHaveLength(2);
});
