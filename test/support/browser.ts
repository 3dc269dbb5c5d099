import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT_DIR } from '../../common/config';

/**
 * A real browser for the portal's tests: Debian's Chromium (CHROMIUM_PATH to use another)
 * driven by playwright-core, at the seeds' minimum screen size, 1024x768. Screenshots go to
 * test-artifacts/e2e/ (not committed); accessibility is checked with axe-core in the page.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.join(ROOT_DIR, 'test-artifacts', 'e2e');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

export async function newPage(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`script error: ${err.message}`));
  page.on('console', (m) => {
    // Failed loads are reported below with their address.
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const url = new URL(r.url());
    // A 401 from /api/me is how the portal learns nobody is signed in; the API's refusals of
    // an action (4xx) are shown on the page and asserted by the tests; the rest are errors.
    if (r.status() >= 500 || (r.status() === 404 && !url.pathname.startsWith('/api/'))) errors.push(`${r.status()} ${url.pathname}`);
  });
  pageErrors.set(page, errors);
  return { context, page };
}

const pageErrors = new WeakMap<Page, string[]>();
/** The page's script errors and console errors so far (a test expects none). */
export const errorsOf = (page: Page): string[] => pageErrors.get(page) ?? [];

/** Saves what the person sees, as a PNG under test-artifacts/e2e/<suite>/<name>.png. */
export async function screenshot(page: Page, suite: string, name: string): Promise<string> {
  const dir = path.join(ARTIFACTS, suite);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA), as
 * "rule: help (selectors)". The script is evaluated, not added as a tag: the portal's CSP allows
 * only its own scripts.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
  });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')})`);
}

/**
 * Signs in through the portal's page as a person does: username, password, the HIPAA
 * disclaimer, then the code: enrolling the app from the page's key at a first sign-in, else the
 * test authenticator's code, else an emailed code read from the mailbox.
 */
export async function signInThroughPortal(page: Page, opts: { login: string; password: string; email?: string; mailbox?: { waitFor: (to: string, o: { count?: number; match?: (m: { subject: string }) => boolean }) => Promise<{ text: string }[]>; list: (to: string) => Promise<{ subject: string }[]> } }): Promise<void> {
  const { authenticatorCode, rememberAuthenticator } = await import('./registration');
  const { totpCode } = await import('../../domain/mfa');
  await page.goto('/sign-in');
  await page.getByLabel('Username or email address').fill(opts.login);
  await page.getByLabel('Password', { exact: true }).fill(opts.password);
  await page.getByLabel('I have read and agree to the HIPAA disclaimer').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Code').waitFor();
  const secretEl = page.getByTestId('totp-secret');
  let code: string | undefined;
  if (await secretEl.count()) {
    const secret = (await secretEl.innerText()).trim();
    code = totpCode(secret, Date.now());
    rememberAuthenticator([opts.login, ...(opts.email ? [opts.email] : [])], secret);
  } else {
    code = authenticatorCode(opts.login);
  }
  if (!code) {
    if (!opts.email || !opts.mailbox) throw new Error(`no authenticator code for ${opts.login} now: pass email and mailbox for the emailed code`);
    const isCode = (m: { subject: string }) => m.subject === 'Your provider portal sign-in code';
    const seen = (await opts.mailbox.list(opts.email)).filter(isCode).length;
    await page.getByRole('button', { name: 'Email me a code instead' }).click();
    const mails = await opts.mailbox.waitFor(opts.email, { count: seen + 1, match: isCode });
    code = /code is (\d{6})/.exec(mails[mails.length - 1]!.text)![1]!;
  }
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: /Sign in|Set up and sign in/ }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}
