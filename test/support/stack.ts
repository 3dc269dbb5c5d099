import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { type ActivityInterceptorsFactory, NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { temporalClient } from '../../api/temporal';
import { createTransport } from '../../activities/mail';
import { loadConfig, type Config } from '../../common/config';
import { createPrisma, type PrismaClient } from '../../common/db';
import { createLogger, type Logger } from '../../common/logger';
import { problemRecorder } from '../../worker/problems';
import { createWorker, installRuntimeLogger, onSdkLog } from '../../worker/worker';
import { testEnv } from './env';
import { Mailbox } from './mailbox';
import { freePort } from './ports';

export interface TestStack {
  config: Config;
  baseUrl: string;
  prisma: PrismaClient;
  temporal: Client;
  mailbox: Mailbox;
  worker: Worker;
  /** Stops the worker only (a test can start another with startWorker). */
  stopWorker(): Promise<void>;
  /** Starts the worker again; `bundlePath` runs other workflow code (a bad deploy, in a test). */
  startWorker(opts?: { bundlePath?: string }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The real system for one test file: the run's Temporal server, database and mail capture,
 * with this file's own worker (on its own task queue, from the run's one workflow bundle) and
 * its own API on an ephemeral port. Nothing is mocked.
 */
let runtimeInstalled = false;

export async function startStack(env: Record<string, string> = {}, opts: { log?: Logger; activityInterceptors?: ActivityInterceptorsFactory[] } = {}): Promise<TestStack> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: testEnv('databaseUrl'),
    TEMPORAL_ADDRESS: testEnv('temporalAddress'),
    SMTP_URL: testEnv('smtpUrl'),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    WORKER_SHUTDOWN_GRACE_MS: '2000',
    // Links in emails lead back to this API.
    PUBLIC_BASE_URL: baseUrl,
    // Every test client comes from 127.0.0.1: the rate limits are tested on their own.
    RATE_LIMIT_SIGN_IN: '100000',
    RATE_LIMIT_REGISTRATION: '100000',
    RATE_LIMIT_PASSWORD_RESET: '100000',
    ...env,
  });
  const log = opts.log ?? createLogger(config.LOG_LEVEL, 'test');
  if (!runtimeInstalled) {
    installRuntimeLogger(createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-worker'));
    runtimeInstalled = true;
  }
  const prisma = createPrisma(config.databaseUrl, 5, { preparedStatements: config.DATABASE_PREPARED_STATEMENTS });
  const transport = createTransport(config.smtpUrl);
  const nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = temporalClient(connection, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE);

  // What the worker sees going wrong, recorded for the support console as in production.
  const problems = problemRecorder({ prisma, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, log });
  const stopListening = onSdkLog(problems.onCoreLog);

  let worker!: Worker;
  let running: Promise<void> = Promise.resolve();
  const startWorker = async (o: { bundlePath?: string } = {}) => {
    worker = await createWorker({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowBundle: { codePath: o.bundlePath ?? testEnv('bundlePath') },
      temporal,
      problems,
      shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
      prisma,
      transport,
      mailFrom: config.MAIL_FROM,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      activityInterceptors: opts.activityInterceptors,
    });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  await startWorker();

  const app = createApp({ config, log, prisma, temporal });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });

  return {
    config,
    baseUrl,
    prisma,
    temporal,
    mailbox: new Mailbox(testEnv('mailboxUrl')),
    get worker() {
      return worker;
    },
    stopWorker,
    startWorker,
    async stop() {
      stopListening();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await stopWorker();
      await nativeConnection.close();
      await connection.close();
      await prisma.$disconnect();
      transport.close();
    },
  };
}
