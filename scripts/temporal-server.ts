import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { ROOT_DIR } from '../common/config';
import { searchAttributeFlags } from '../common/temporal';
import { trimVisibilityIndexes, type TrimResult } from './visibility-indexes';

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  /** With a SQLite file: what became of its visibility indexes (scripts/visibility-indexes.ts). */
  visibilityIndexes?: TrimResult;
  stop(): Promise<void>;
}

/** The Temporal CLI to run: found on PATH or in .tools/bin, or built by scripts/ensure-temporal.sh. */
export async function ensureTemporalCli(): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(ROOT_DIR, 'scripts/ensure-temporal.sh'), {
    maxBuffer: 1 << 20,
  }).catch((err: { stderr?: string }) => {
    throw new Error(err.stderr?.trim() || String(err));
  });
  return stdout.trim().split('\n').pop()!;
}

export interface DevServerOptions {
  cli: string;
  ip: string;
  port: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in memory when absent. */
  dbFile?: string;
  namespace: string;
  /** Leave out the server's own lines on stdout (its address and "Stopping server..."); errors still show. */
  quiet?: boolean;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/**
 * The server settings production's compose file gives Temporal (config/temporal-dynamic-config.yaml),
 * as the dev server's flags:
 * - eager activity dispatch (a letter scheduled by a workflow task goes back to the worker with
 *   that task's completion, without matching and a poll);
 * - each task queue in one partition, not four: a new case's first workflow task written to a
 *   partition where no poll of the worker waited sat there about 2 s before a poller found it
 *   (the 10-client p99 of 2 s in the benchmark). One matching host gains nothing from more;
 * - the history shard's transfer queue (which hands a new case's first workflow task to matching)
 *   read up to 1,000 times a second, not 20: the dev server has one shard, and after a few
 *   seconds above 20 new workflows a second each first task waited 10 to 25 ms for the reader's
 *   rate limiter (a submission one after another took 50 ms instead of 33 at the median).
 */
export const DYNAMIC_CONFIG: Record<string, boolean | number | string> = {
  'system.enableActivityEagerExecution': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'history.transferProcessorMaxPollRPS': 1000,
};
export const dynamicConfigFlags = () => Object.entries(DYNAMIC_CONFIG).map(([k, v]) => `${k}=${JSON.stringify(v)}`);

/**
 * The dev server's SQLite file in write-ahead-log mode, synced at checkpoints rather than at every
 * commit: the server spent a third of its CPU (and the machine its I/O waits) on rollback
 * journals and syncs, and took 17 auto-approvals a second instead of 13 with these (bench, 2
 * cores). A killed server (SIGKILL, as the chaos run does) loses nothing this way; only a crash
 * of the machine itself can lose the last commits before a checkpoint. Production runs Temporal
 * on PostgreSQL (docker-compose.yml), not on this file.
 */
export const SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=NORMAL'];

/** Starts `temporal server start-dev` with the project's search attributes and waits until it answers. */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<TemporalDevServer> {
  const args = ['server', 'start-dev', '--ip', opts.ip, '--port', String(opts.port), '--log-level', 'error'];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    for (const pragma of SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  for (const flag of searchAttributeFlags()) args.push('--search-attribute', flag);
  for (const flag of dynamicConfigFlags()) args.push('--dynamic-config-value', flag);

  // Own process group: a terminal's Ctrl-C goes to the caller, which stops Temporal last.
  const child = spawn(opts.cli, args, { stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', 'inherit'], detached: true });
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    opts.onExit?.(code, signal);
  });
  const address = `${opts.ip}:${opts.port}`;
  await waitUntilServing(address, opts.namespace, () => exited);
  const visibilityIndexes = opts.dbFile ? await trimVisibilityIndexes({ dbFile: opts.dbFile, address, namespace: opts.namespace }) : undefined;
  return {
    address,
    ...(visibilityIndexes ? { visibilityIndexes } : {}),
    uiUrl: opts.uiPort ? `http://${opts.ip}:${opts.uiPort}` : undefined,
    process: child,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(address: string, namespace: string, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Temporal dev server ${why} before serving on ${address}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`Temporal dev server did not answer on ${address} within 60 s: ${String(lastError)}`);
}

/** SIGTERM, then SIGKILL if the process has not exited in 10 s. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
