import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ROOT_DIR } from '../common/config';

/**
 * The whole system as `npm start` runs it (Temporal dev server on SQLite, the worker and the API
 * as their own processes, the mail capture), on a fresh database of the local PostgreSQL and its
 * own ports and data folder, so that a benchmark measures what people run and nothing else.
 */
export interface RunningSystem {
  baseUrl: string;
  mailboxUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  dataDir: string;
  env: Record<string, string>;
  /** The processes that make up the system, by role (postgres: every server process of the cluster). */
  pids(): Record<'start' | 'temporal' | 'worker' | 'api' | 'postgres', number[]>;
  /** The system's last lines of output (warnings and errors at the default LOG_LEVEL), to show when a run fails. */
  recentOutput(): string;
  stop(): Promise<void>;
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The p-th percentile (0 to 100) of ascending `sorted`: the value below which p% of them fall; NaN when empty. */
export const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** Milliseconds on the machine's monotonic clock (what CPU profiles and /proc/<pid>/schedstat read too). */
export const now = () => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine has been busy (all processes; /proc/stat). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0)) / CLK_TCK;
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Bytes under a folder. */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? diskBytes(p) : statSync(p).size;
  }
  return total;
}

const children = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

export async function startSystem(opts: { env?: Record<string, string>; port: number }): Promise<RunningSystem> {
  const admin = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `prior_auth_bench_${process.pid}`;
  const pg = new Client({ connectionString: admin });
  await pg.connect();
  await pg.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(admin);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'prior-auth-bench-'));
  const p = opts.port;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: dbUrl.toString(),
    API_PORT: String(p),
    PUBLIC_BASE_URL: `http://127.0.0.1:${p}`,
    TEMPORAL_ADDRESS: `127.0.0.1:${p + 1}`,
    TEMPORAL_UI_URL: `http://127.0.0.1:${p + 2}`,
    MAIL_CAPTURE_SMTP_PORT: String(p + 3),
    MAIL_CAPTURE_HTTP_PORT: String(p + 4),
    // The benchmark's own clients come from one address.
    RATE_LIMIT_SIGN_IN: '100000',
    RATE_LIMIT_REGISTRATION: '100000',
    RATE_LIMIT_PASSWORD_RESET: '100000',
    ...opts.env,
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'scripts/start.ts')], { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Press Ctrl-C to stop everything')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${out}`)));
  });
  // Keep reading (a full pipe would stall the system), and keep the last lines for a failed run.
  const recent: string[] = [];
  const keep = (d: Buffer) => {
    recent.push(...d.toString().split('\n').filter(Boolean));
    if (recent.length > 400) recent.splice(0, recent.length - 200);
  };
  child.stdout!.on('data', (d: Buffer) => (keep(d), process.env.BENCH_VERBOSE && process.stdout.write(d)));
  child.stderr!.on('data', (d: Buffer) => (keep(d), process.env.BENCH_VERBOSE && process.stderr.write(d)));

  const pids = () => {
    const all: number[] = [];
    const walk = (pid: number) => {
      for (const c of children(pid)) {
        all.push(c);
        walk(c);
      }
    };
    walk(child.pid!);
    const by = (re: RegExp) => all.filter((pid) => re.test(cmdline(pid)));
    const postgres = execFileSync('pgrep', ['-x', 'postgres']).toString().trim().split(/\s+/).filter(Boolean).map(Number);
    return { start: [child.pid!], temporal: by(/temporal server start-dev/), worker: by(/worker\/main\.ts/), api: by(/api\/main\.ts/), postgres };
  };

  return {
    baseUrl: `http://127.0.0.1:${p}`,
    mailboxUrl: `http://127.0.0.1:${p + 4}`,
    databaseUrl: dbUrl.toString(),
    temporalAddress: `127.0.0.1:${p + 1}`,
    dataDir,
    env,
    pids,
    recentOutput: () => recent.slice(-200).join('\n'),
    async stop() {
      process.kill(-child.pid!, 'SIGINT');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (process.kill(-child.pid!, 'SIGKILL'), resolve()), 30_000);
        child.once('exit', () => (clearTimeout(t), resolve()));
      });
      rmSync(dataDir, { recursive: true, force: true });
      if (!process.env.BENCH_KEEP) await pg.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await pg.end();
    },
  };
}
