import type { LogLevel, LogMetadata } from '@temporalio/common';
import { type ActivityInterceptorsFactory, bundleWorkflowCode, makeTelemetryFilterString, NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../common/logger';
import { createActivities, type ActivityDeps } from '../activities';
import type { ProblemRecorder } from './problems';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Bundles the workflow code once; the result is reused by every worker in the process. The
 * bundle carries the workflow interceptor that gives update handlers their request's time and,
 * unless `stackTraces` (WORKFLOW_STACK_TRACES), the module that turns stack capture off in the
 * workflow sandbox (see workflows/stackTraces.ts).
 */
export function bundleWorkflows({ stackTraces = false }: { stackTraces?: boolean } = {}): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [require.resolve('../workflows/requestTime')],
    ...(stackTraces ? {} : { preloadModules: [require.resolve('../workflows/stackTraces')] }),
    logger: quietBundlerLogger,
  });
}

export interface WorkerOptions extends ActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  workflowBundle: WorkflowBundleOption;
  shutdownGraceTimeMs: number;
  /** Records failing activities (and, through onCoreLog, failing workflow tasks) for support. */
  problems?: ProblemRecorder;
  /** Workflows kept in memory between their steps (WORKER_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows?: number;
  /** More activity interceptors, after the problem recorder (the fault-injecting tests add one). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export function createWorker(opts: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle,
    activities: createActivities(opts),
    shutdownGraceTime: opts.shutdownGraceTimeMs,
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    interceptors: { activity: [...(opts.problems ? [opts.problems.activityInterceptor] : []), ...(opts.activityInterceptors ?? [])] },
  });
}

type CoreLogListener = (message: string, meta: Record<string, unknown> | undefined) => void;
const coreLogListeners = new Set<CoreLogListener>();

/** Hears every log line of the SDK (its core included) at WARN and above; answers the way to stop. */
export function onSdkLog(listener: CoreLogListener): () => void {
  coreLogListeners.add(listener);
  return () => coreLogListeners.delete(listener);
}

const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  warn(message: string, meta?: Record<string, unknown>) {
    console.warn(message, meta ?? '');
  },
  error(message: string, meta?: Record<string, unknown>) {
    console.error(message, meta ?? '');
  },
  log() {},
};

/**
 * Sends the Temporal SDK's own logs (worker state, workflow task failures) through the
 * process's pino logger, so they are structured like everything else. Call once per process,
 * before the first worker or connection.
 */
export function installRuntimeLogger(log: Logger): void {
  const forward = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') => (message: string, meta?: LogMetadata) => {
    log[level]({ ...meta, component: 'temporal-sdk' }, message);
    if (level === 'warn' || level === 'error') for (const listen of coreLogListeners) listen(message, meta);
  };
  Runtime.install({
    // The core's own warnings (a failing workflow task, with its run and failure) come here too.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
    logger: {
      log: (level: LogLevel, message: string, meta?: LogMetadata) => forward(level.toLowerCase() as 'info')(message, meta),
      trace: forward('trace'),
      debug: forward('debug'),
      info: forward('info'),
      warn: forward('warn'),
      error: forward('error'),
    },
  });
}
