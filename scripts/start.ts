import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig, ROOT_DIR, type Config } from '../common/config';
import { createPrisma } from '../common/db';
import { describeSeed, seed } from '../prisma/seed';
import { loadCodes } from './load-codes';
import { startMailCapture, type MailCapture } from './mail-capture';
import { migrate } from './migrate';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './pglite-server';
import { ensureTemporalCli, startTemporalDevServer, stopChild, type TemporalDevServer } from './temporal-server';

/**
 * `npm start`: the whole system on one machine. Temporal dev server (data in .data/), the
 * database (DATABASE_URL, or embedded PGlite), migrations, mail (SMTP_URL, or the development
 * capture), the worker and the API. Ctrl-C stops everything, API first, Temporal last.
 */
const say = (msg: string) => console.log(`[start] ${msg}`);

interface Running {
  temporal?: TemporalDevServer;
  pg?: EmbeddedPostgres;
  mail?: MailCapture;
  worker?: ChildProcess;
  api?: ChildProcess;
}

function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

function spawnNode(name: string, entry: string, env: NodeJS.ProcessEnv, onExit: (name: string, code: number | null) => void): ChildProcess {
  // Each child gets its own process group, so Ctrl-C reaches only this script, which then
  // stops the children in order (the API before the worker before Temporal).
  // PROFILE_DIR: each child writes a V8 CPU profile there when it exits (Node refuses
  // --cpu-prof in NODE_OPTIONS, so it goes on the command line).
  const profile = env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(env.PROFILE_DIR)}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', path.join(ROOT_DIR, entry)], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  child.once('exit', (code) => onExit(name, code));
  return child;
}

async function waitForHealth(url: string, timeoutMs: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      const body = await res.json();
      if (res.ok) return body;
      last = JSON.stringify(body);
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} was not healthy within ${timeoutMs / 1000} s: ${last}`);
}

async function main(): Promise<void> {
  const config: Config = loadConfig();
  const run: Running = {};
  let stopping = false;

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping...');
    if (run.api) await stopChild(run.api);
    if (run.worker) await stopChild(run.worker, config.WORKER_SHUTDOWN_GRACE_MS + 5000);
    await run.mail?.stop();
    await run.pg?.stop();
    await run.temporal?.stop();
    say('stopped');
    process.exit(exitCode);
  };
  const childExited = (name: string, code: number | null) => {
    if (stopping) return;
    say(`${name} exited unexpectedly (${code}); stopping everything`);
    void stopAll(1);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // Last resort if this script dies: take the children with it.
  process.on('exit', () => {
    for (const c of [run.api, run.worker, run.temporal?.process]) if (c && c.exitCode === null) c.kill('SIGKILL');
  });

  try {
    const { host, port } = hostPort(config.TEMPORAL_ADDRESS);
    const uiPort = Number(new URL(config.TEMPORAL_UI_URL).port || 8233);
    const cli = await ensureTemporalCli();
    say(`Temporal dev server (${cli}) on ${config.TEMPORAL_ADDRESS}, data in ${config.DATA_DIR}/temporal.db`);
    run.temporal = await startTemporalDevServer({
      cli,
      ip: host,
      port,
      uiPort,
      dbFile: path.join(config.DATA_DIR, 'temporal.db'),
      namespace: config.TEMPORAL_NAMESPACE,
      onExit: (code) => childExited('Temporal server', code),
    });
    const trim = run.temporal.visibilityIndexes;
    if (trim) say('skipped' in trim ? `Temporal visibility indexes left as they are: ${trim.skipped}` : `Temporal visibility indexes: ${trim.kept} kept, ${trim.dropped.length} dropped${trim.created.length ? `, ${trim.created.length} created (${trim.created.join(', ')})` : ''}`);

    const childEnv: NodeJS.ProcessEnv = { ...process.env };
    if (!config.DATABASE_URL) {
      say(`DATABASE_URL is unset: embedded PostgreSQL (PGlite) on 127.0.0.1:${config.PGLITE_PORT}, data in ${config.DATA_DIR}/pglite`);
      run.pg = await startEmbeddedPostgres({ dataDir: path.join(config.DATA_DIR, 'pglite'), port: config.PGLITE_PORT });
      // PGlite mixes up statements from concurrent connections of one client: one each. Its
      // one backend is every connection's, so statements prepared by name would collide.
      childEnv.DATABASE_POOL_SIZE = '1';
      childEnv.DATABASE_PREPARED_STATEMENTS = 'false';
    }
    const applied = await migrate(config.databaseUrl);
    say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    const seedClient = createPrisma(config.databaseUrl, 1);
    try {
      say(`reference data: ${describeSeed(await seed(seedClient))}`);
      for (const r of await loadCodes(seedClient)) say(`codes ${r.source}: ${r.rows}${r.skipped ? ' (unchanged)' : ' loaded'}`);
    } finally {
      await seedClient.$disconnect();
    }

    if (!config.SMTP_URL) {
      run.mail = await startMailCapture({
        smtpPort: config.MAIL_CAPTURE_SMTP_PORT,
        httpPort: config.MAIL_CAPTURE_HTTP_PORT,
        dir: path.join(config.DATA_DIR, 'mail'),
      });
      say(`SMTP_URL is unset: development mail capture on smtp port ${run.mail.smtpPort}`);
    }

    run.worker = spawnNode('worker', 'worker/main.ts', childEnv, childExited);
    run.api = spawnNode('api', 'api/main.ts', childEnv, childExited);
    const apiUrl = `http://${config.API_HOST}:${config.API_PORT}`;
    await waitForHealth(`${apiUrl}/healthz`, 60_000);

    console.log(
      [
        '',
        'The prior-authorization platform is running:',
        `  API              ${apiUrl}   (health: ${apiUrl}/healthz, OpenAPI: ${apiUrl}/openapi.json)`,
        `  Temporal Web UI  ${run.temporal.uiUrl}`,
        `  Temporal gRPC    ${run.temporal.address}   (temporal workflow list --address ${run.temporal.address})`,
        run.mail ? `  Dev mailbox      ${run.mail.httpUrl}` : `  Mail             via ${config.SMTP_URL}`,
        `  Database         ${config.DATABASE_URL ? 'DATABASE_URL' : `embedded PGlite, ${config.databaseUrl}`}`,
        'Press Ctrl-C to stop everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
  }
}

void main();
