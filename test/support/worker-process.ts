import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT_DIR, type Config } from '../../common/config';
import { testEnv } from './env';

/**
 * The worker as production runs it: its own process (`worker/main.ts`), which a test can kill
 * with SIGKILL, as when a machine dies. Uses the run's prebuilt workflow bundle to start fast.
 */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker polls its task queue. */
  ready: Promise<void>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT_DIR, 'worker/main.ts')], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('worker polling')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before polling:\n${out}`)));
  });
  return {
    child,
    ready,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The environment of a worker process serving a test stack's task queue, database and API. */
export function workerEnvFor(config: Config, overrides: { SMTP_URL?: string } = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: config.databaseUrl,
    DATABASE_POOL_SIZE: '2',
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    SMTP_URL: overrides.SMTP_URL ?? config.smtpUrl,
    PUBLIC_BASE_URL: config.PUBLIC_BASE_URL,
    WORKFLOW_BUNDLE_PATH: testEnv('bundlePath'),
  };
}
