import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../common/config';
import { createPrisma } from '../common/db';
import { createLogger } from '../common/logger';
import { createTransport } from '../activities/mail';
import { startMirrorAudit } from './mirrorAudit';
import { problemRecorder } from './problems';
import { bundleWorkflows, createWorker, installRuntimeLogger, onSdkLog, type WorkerOptions } from './worker';

/**
 * Worker process: bundle once, connect, run until SIGTERM/SIGINT, then drain and exit.
 * `extra` adds to the worker what a test process needs (the chaos run's fault injection).
 */
export async function runWorkerProcess(extra: Pick<WorkerOptions, 'activityInterceptors'> = {}): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'worker');
  installRuntimeLogger(log);
  const started = Date.now();
  const bundle = config.WORKFLOW_BUNDLE_PATH ? { codePath: config.WORKFLOW_BUNDLE_PATH } : await bundleWorkflows({ stackTraces: config.WORKFLOW_STACK_TRACES });
  if ('code' in bundle) log.info({ ms: Date.now() - started, bytes: bundle.code.length }, 'workflows bundled');

  const prisma = createPrisma(config.databaseUrl, config.DATABASE_POOL_SIZE, { preparedStatements: config.DATABASE_PREPARED_STATEMENTS });
  const transport = createTransport(config.smtpUrl);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
  const problems = problemRecorder({ prisma, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, log });
  onSdkLog(problems.onCoreLog);
  const worker = await createWorker({
    temporal,
    problems,
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: bundle,
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    prisma,
    transport,
    mailFrom: config.MAIL_FROM,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    ...extra,
  });

  // Worker.run() installs its own SIGINT/SIGTERM handling: it stops polling, lets running
  // activities finish within the grace time, and then resolves.
  log.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, address: config.TEMPORAL_ADDRESS }, 'worker polling');
  try {
    await Promise.all([worker.run(), startMirrorAudit(temporal, config).catch((err: unknown) => log.error({ err }, 'the mirror audit could not be started'))]);
  } finally {
    log.info('worker drained; closing connections');
    await temporal.connection.close();
    await connection.close();
    await prisma.$disconnect();
    transport.close();
  }
}
