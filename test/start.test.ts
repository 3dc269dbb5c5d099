import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT_DIR } from '../common/config';
import { Mailbox } from './support/mailbox';
import { freePort, isListening } from './support/ports';
import { eventually } from './support/eventually';

/**
 * The start command as a newcomer runs it, with nothing set but ports and a data folder:
 * Temporal dev server, embedded PGlite, the mail capture, worker and API all come up; Ctrl-C
 * stops everything; after a restart, a workflow started before it is still there and can finish.
 */
jest.setTimeout(300_000);

const dataDir = mkdtempSync(path.join(tmpdir(), 'prior-auth-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let ports: Record<string, number>;
beforeAll(async () => {
  ports = { api: 0, temporal: 0, ui: 0, pglite: 0, smtp: 0, mailbox: 0 };
  for (const k of Object.keys(ports)) ports[k] = await freePort();
});

function start(): { child: ChildProcess; output: () => string; ready: Promise<void>; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    API_PORT: String(ports.api),
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
    PGLITE_PORT: String(ports.pglite),
    MAIL_CAPTURE_SMTP_PORT: String(ports.smtp),
    MAIL_CAPTURE_HTTP_PORT: String(ports.mailbox),
  };
  // Its own process group, like a terminal's foreground job, so a Ctrl-C can be sent to it.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'scripts/start.ts')], {
    cwd: ROOT_DIR,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop everything')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`start exited (${code}) before it was ready:\n${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, ready, exited };
}

async function ctrlC(run: ReturnType<typeof start>): Promise<void> {
  process.kill(-run.child.pid!, 'SIGINT');
  expect(await run.exited).toBe(0);
  for (const [name, port] of Object.entries(ports)) {
    expect([name, await isListening(port)]).toEqual([name, false]);
  }
}

const api = (p: string) => `http://127.0.0.1:${ports.api}${p}`;
const checkState = async (checkId: string) => ((await (await fetch(api(`/api/system-checks/${checkId}`))).json()) as { state: string }).state;

test('start, use, Ctrl-C, start again: the workflow survives and completes', async () => {
  const mailbox = new Mailbox(`http://127.0.0.1:${ports.mailbox}`);
  const to = 'newcomer@example.org';

  const first = start();
  await first.ready;
  expect(first.output()).toContain(`Temporal Web UI  http://127.0.0.1:${ports.ui}`);
  const health = await fetch(api('/healthz'));
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', checks: { temporal: { up: true }, database: { up: true } } });
  expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);

  const res = await fetch(api('/api/system-checks'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: to }),
  });
  expect(res.status).toBe(202);
  const { checkId } = (await res.json()) as { checkId: string };
  const [mail] = await mailbox.waitFor(to);
  // The email goes out before the activity records MAILED, so the mirror may lag a moment.
  expect(await eventually(() => checkState(checkId), (s) => s === 'MAILED')).toBe('MAILED');
  // A person can read the message on the mailbox page.
  const page = await (await fetch(`http://127.0.0.1:${ports.mailbox}/messages/${mail!.id}`)).text();
  expect(page).toContain(`<a href="${mail!.links[0]}">`);

  await ctrlC(first);

  const second = start();
  await second.ready;
  expect(second.output()).toContain('database schema is up to date');
  expect(await checkState(checkId)).toBe('MAILED');
  const [kept] = await mailbox.waitFor(to);
  expect(kept!.links[0]).toBe(mail!.links[0]);
  const confirmed = await fetch(kept!.links[0]!);
  expect(confirmed.status).toBe(200);
  expect(await eventually(() => checkState(checkId), (s) => s === 'CONFIRMED')).toBe('CONFIRMED');

  await ctrlC(second);
});
