import { spawn, type ChildProcess } from 'node:child_process';
import { migrateAndSeed } from '../support/databases';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { ROOT_DIR } from '../../common/config';
import { createPrisma } from '../../common/db';
import { startMailCapture, type MailCapture } from '../../scripts/mail-capture';
import { ensureTemporalCli, startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal-server';
import { bundleWorkflows } from '../../worker/worker';
import { freePort } from '../support/ports';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * The system as production runs it, with every part in reach of the chaos harness: its own
 * Temporal dev server (on a SQLite file, so a restart keeps the workflows), a fresh database
 * of the local PostgreSQL and a mail server, both reached by the worker and the API through
 * TCP forwarders that can be cut, and the worker and the API as their own processes under a
 * supervisor that starts a process again when it dies (as systemd or Kubernetes would).
 */
export interface ChaosSystem {
  baseUrl: string;
  mailboxUrl: string;
  /** The database itself, not through the forwarder: for the harness's own checks. */
  databaseUrl: string;
  temporalAddress: string;
  env: Record<string, string>;
  mail: MailCapture;
  worker: Supervised;
  api: Supervised;
  restartTemporal(): Promise<void>;
  /** Steps that failed after their work (the worker's injected faults), by activity type. */
  afterWorkFaults(): Record<string, number>;
  database: TcpProxy;
  smtp: TcpProxy;
  stop(): Promise<void>;
}

/** A node process started again whenever it exits without being asked to stop. */
export class Supervised {
  private child?: ChildProcess;
  private stopping = false;
  private tail = '';
  /** Times the process was started again after dying. */
  restarts = 0;
  private readyNow?: Promise<void>;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    private readonly readyLine: string,
  ) {}

  /** Resolves when the current process says it is ready. */
  ready(): Promise<void> {
    return this.readyNow ?? Promise.reject(new Error(`${this.name} was never started`));
  }

  start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, this.entry)], { cwd: ROOT_DIR, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.readyNow = new Promise<void>((resolve, reject) => {
      let seen = '';
      const onData = (d: Buffer) => {
        const s = d.toString();
        // The last output, for a report when something goes wrong.
        this.tail = (this.tail + s).slice(-20_000);
        if (seen.length < 100_000) seen += s;
        if (seen.includes(this.readyLine)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        reject(new Error(`${this.name} exited (${signal ?? code}) before it was ready:\n${this.tail}`));
        if (this.stopping) return;
        this.restarts++;
        setTimeout(() => {
          if (!this.stopping) this.start().catch(() => undefined);
        }, 500);
      });
    });
    // Handled here too: a process that dies before it is ready is simply started again.
    this.readyNow.catch(() => undefined);
    return this.readyNow;
  }

  /** Kills the process (it is started again by the supervisor) and waits until the new one is ready. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child!;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
    // The supervisor's restart replaced readyNow within 500 ms.
    for (let i = 0; i < 100 && this.child === child; i++) await new Promise((r) => setTimeout(r, 50));
    await this.ready();
  }

  output(): string {
    return this.tail;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
}

export async function startChaosSystem(opts: { bundlePath?: string; adminDatabaseUrl?: string; afterWorkRate?: number } = {}): Promise<ChaosSystem> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'prior-auth-chaos-'));
  const cli = await ensureTemporalCli();
  let bundlePath = opts.bundlePath;
  if (!bundlePath) {
    bundlePath = path.join(work, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflows()).code);
  }

  // Temporal: its own server, so restarting it touches nothing but this run.
  const temporalPort = await freePort();
  const dbFile = path.join(work, 'temporal.sqlite');
  const startTemporal = () => startTemporalDevServer({ cli, ip: '127.0.0.1', port: temporalPort, dbFile, namespace: 'default' });
  let temporal: TemporalDevServer = await startTemporal();

  // PostgreSQL: a fresh database, migrated and seeded, reached through a forwarder.
  const admin = opts.adminDatabaseUrl ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const adminUrl = new URL(admin);
  adminUrl.pathname = '/postgres';
  const dbName = `prior_auth_chaos_${process.pid}_${Date.now()}`;
  const pg = new PgClient({ connectionString: adminUrl.toString() });
  await pg.connect();
  await pg.query(`CREATE DATABASE "${dbName}"`);
  const direct = new URL(adminUrl);
  direct.pathname = `/${dbName}`;
  await migrateAndSeed(direct.toString());
  const database = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) }, await freePort());
  const proxied = new URL(direct);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(database.port);

  // Mail: the development mail server, reached through a forwarder.
  const mail = await startMailCapture({ smtpPort: 0, httpPort: 0 });
  const smtp = await TcpProxy.start({ host: '127.0.0.1', port: mail.smtpPort }, await freePort());

  const apiPort = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    DATA_DIR: work,
    DATABASE_URL: proxied.toString(),
    DATABASE_POOL_SIZE: '5',
    API_PORT: String(apiPort),
    PUBLIC_BASE_URL: `http://127.0.0.1:${apiPort}`,
    TEMPORAL_ADDRESS: temporal.address,
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    SESSION_IDLE_TIMEOUT: '4h',
    SESSION_TTL: '12h',
    // The harness's clients come from one address.
    RATE_LIMIT_SIGN_IN: '100000',
    RATE_LIMIT_REGISTRATION: '100000',
    RATE_LIMIT_PASSWORD_RESET: '100000',
  };
  // The production worker with one more fault: steps that fail after doing their work.
  const faultLog = path.join(work, 'after-work-faults.jsonl');
  const workerEnv = { ...env, CHAOS_AFTER_WORK_RATE: String(opts.afterWorkRate ?? 0), CHAOS_FAULT_LOG: faultLog };
  const worker = new Supervised('worker', 'test/chaos/worker.ts', workerEnv, 'worker polling');
  const api = new Supervised('api', 'api/main.ts', env, 'api listening');
  await Promise.all([worker.start(), api.start()]);

  return {
    baseUrl: `http://127.0.0.1:${apiPort}`,
    mailboxUrl: mail.httpUrl,
    databaseUrl: direct.toString(),
    temporalAddress: temporal.address,
    // Scripts the harness runs itself (create-admin) reach the database directly.
    env: { ...env, DATABASE_URL: direct.toString() },
    mail,
    worker,
    api,
    database,
    smtp,
    afterWorkFaults() {
      const counts: Record<string, number> = {};
      if (!existsSync(faultLog)) return counts;
      for (const line of readFileSync(faultLog, 'utf8').split('\n').filter(Boolean)) {
        const type = (JSON.parse(line) as { activityType: string }).activityType;
        counts[type] = (counts[type] ?? 0) + 1;
      }
      return counts;
    },
    async restartTemporal() {
      await temporal.stop();
      temporal = await startTemporal();
    },
    async stop() {
      await api.stop();
      await worker.stop();
      await temporal.stop();
      await Promise.all([database.down(), smtp.down()]);
      await mail.stop();
      if (!process.env.CHAOS_KEEP) await pg.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await pg.end();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
