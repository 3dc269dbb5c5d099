import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { ensureTemporalCli, startTemporalDevServer, stopChild } from '../../scripts/temporal-server';
import { freePort } from '../../test/support/ports';
import { cpuSeconds, pct } from '../system';
import { openUpdate } from './workflows';

/**
 * The floor phase: what the Temporal dev server (with the system's flags, SQLite file and
 * visibility indexes) and the SDK's worker cost on this machine for the least a case can be,
 * measured the way the auto-approval is (32 clients for a while, CPU of each process by its own
 * counters until both are idle again). Machines of the same description differ by up to twice in
 * speed; this says how much of that a run's figures owe to the machine, and what the case's
 * shape costs before any of its own work:
 * - `start`: a workflow started, whose first task sets the 60-day timer;
 * - `update`: started with an update answered in its first task, then the timer (the
 *   auto-approval's shape);
 * - `updateAndLocalActivity`: the same with the answer after one local activity that does
 *   nothing (the auto-approval's opening step without its database writes and letter).
 */
export interface FloorFigures {
  startsPerSecond: number;
  temporalMsPerCase: number;
  workerMsPerCase: number;
  /** Cases a second all cores would finish at this CPU per case, with nothing else running. */
  ceilingPerSecond: number;
  latencyMs: { p50: number; p99: number };
}

export type FloorMode = 'start' | 'update' | 'updateAndLocalActivity';
export const FLOOR_MODES: FloorMode[] = ['start', 'update', 'updateAndLocalActivity'];

const TASK_QUEUE = 'bench-floor';

export async function measureFloor(opts: { seconds: number; concurrency: number }): Promise<Record<FloorMode, FloorFigures>> {
  const out = {} as Record<FloorMode, FloorFigures>;
  // Each shape on a server and worker of its own: what one left (thousands of open workflows in
  // the server's caches and the worker's) would otherwise weigh on the next.
  for (const mode of FLOOR_MODES) out[mode] = await withServerAndWorker((o) => measureMode(mode, { ...opts, ...o }));
  return out;
}

async function withServerAndWorker<T>(run: (o: { client: Client; temporalPid: number; workerPid: number }) => Promise<T>): Promise<T> {
  const cleanups: (() => unknown)[] = []; // undone last first
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prior-auth-floor-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server = await startTemporalDevServer({ cli: await ensureTemporalCli(), ip: '127.0.0.1', port: await freePort(), dbFile: path.join(dir, 'temporal.db'), namespace: 'default', quiet: true });
    cleanups.push(() => server.stop());
    const worker = await startWorker(server.address);
    cleanups.push(() => stopChild(worker));
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    return await run({ client: new Client({ connection }), temporalPid: server.process.pid!, workerPid: worker.pid! });
  } finally {
    for (const undo of cleanups.reverse()) await undo();
  }
}

async function measureMode(mode: FloorMode, o: { seconds: number; concurrency: number; client: Client; temporalPid: number; workerPid: number }): Promise<FloorFigures> {
  const { client } = o;
  let id = 0;
  const one = async () => {
    const workflowId = `floor-${mode}-${id++}`;
    if (mode === 'start') {
      await client.workflow.start('floorStart', { taskQueue: TASK_QUEUE, workflowId });
      return;
    }
    const startWorkflowOperation = new WithStartWorkflowOperation('floorUpdate', { taskQueue: TASK_QUEUE, workflowId, args: [mode === 'updateAndLocalActivity'], workflowIdConflictPolicy: 'USE_EXISTING' });
    const answer = await client.workflow.executeUpdateWithStart(openUpdate, { startWorkflowOperation });
    if (answer !== 'opened') throw new Error(`floor ${mode}: the update answered ${JSON.stringify(answer)}`);
  };
  for (let i = 0; i < 200; i++) await one(); // warm-up, one at a time
  await untilIdle(o);

  const cpu = () => ({ temporal: cpuSeconds(o.temporalPid), worker: cpuSeconds(o.workerPid) });
  const before = cpu();
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + o.seconds * 1000;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await one();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  // A started workflow's first task may still be waiting for the worker: count until both are idle.
  await untilIdle(o);
  const after = cpu();
  const n = latencies.length;
  const temporalMs = ((after.temporal - before.temporal) * 1000) / n;
  const workerMs = ((after.worker - before.worker) * 1000) / n;
  latencies.sort((a, b) => a - b);
  return {
    startsPerSecond: +(n / elapsed).toFixed(1),
    temporalMsPerCase: +temporalMs.toFixed(2),
    workerMsPerCase: +workerMs.toFixed(2),
    ceilingPerSecond: Math.round((os.cpus().length * 1000) / (temporalMs + workerMs)),
    latencyMs: { p50: +pct(latencies, 50).toFixed(1), p99: +pct(latencies, 99).toFixed(1) },
  };
}

/** Waits until Temporal and the worker together use less than a twentieth of a core for a second. */
async function untilIdle(o: { temporalPid: number; workerPid: number }): Promise<void> {
  const busy = () => cpuSeconds(o.temporalPid) + cpuSeconds(o.workerPid);
  const deadline = Date.now() + 120_000;
  for (let last = busy(); Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = busy();
    if (now - last < 0.05) return;
    last = now;
  }
  throw new Error('floor: Temporal and its worker were still busy two minutes after the load');
}

async function startWorker(address: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker.ts'), address, TASK_QUEUE], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const late = setTimeout(() => reject(new Error('floor worker not ready within 120 s')), 120_000);
      child.once('exit', (code) => reject(new Error(`floor worker exited with ${code} before it was ready`)));
      child.stdout!.on('data', (d) => {
        if (String(d).includes('ready')) {
          clearTimeout(late);
          resolve();
        }
      });
    });
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  child.removeAllListeners('exit');
  return child;
}
