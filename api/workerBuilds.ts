import type { Connection, WorkflowClientInterceptor } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair, type TypedSearchAttributes } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';

/**
 * Temporal's own `BuildIds` search attribute: the server sets it when a workflow's first workflow
 * task completes, to `["unversioned", "unversioned:<build id of that worker>"]` for workers
 * without versioning, and writes the workflow's visibility record a second time to do it (in
 * the dev server's SQLite a delete and an insert across 45 indexes and two full-text tables;
 * about 15% of the server's CPU per auto-approval in a profile of 2026-12-06). A workflow that
 * starts with that value already there changes nothing at its completion and costs no second
 * write. The server computes the same list whatever the start gave it, so a value that turns out
 * wrong (another build took the task) only brings the write back.
 */
export const BUILD_IDS = defineSearchAttributeKey('BuildIds', SearchAttributeType.KEYWORD_LIST);

/** How long a build ID learned from the task queue's pollers is used before it is asked again. */
const REFRESH_MS = 60_000;
/** How soon the task queue is asked again when no one build polls it (the API started first). */
const UNKNOWN_REFRESH_MS = 5_000;

export interface WorkerBuilds {
  /** The value a workflow on the task queue would get at its first completion, if one build polls it now. */
  current(): string[] | undefined;
  /** Asks the task queue now (the first submission after a start need not wait for it). */
  refresh(): Promise<void>;
}

/**
 * The build ID of the workers polling `taskQueue` for workflow tasks, from the server's list of
 * its recent pollers: one build, its search attribute value; none, or several (a deploy rolling
 * over), nothing. Asked again in the background when a minute old (5 s while unknown); never on a
 * request's path.
 */
export function workerBuilds(connection: Connection, namespace: string, taskQueue: string): WorkerBuilds {
  let value: string[] | undefined;
  let askedAt = 0;
  let asking: Promise<void> | undefined;
  const ask = async () => {
    try {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: proto.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      value = buildIdsOf(pollers ?? []);
    } catch {
      // Unknown for now: starts go without it (and the server writes the attribute as before).
      value = undefined;
    } finally {
      askedAt = Date.now();
      asking = undefined;
    }
  };
  const refresh = () => (asking ??= ask());
  return {
    current() {
      if (Date.now() - askedAt > (value ? REFRESH_MS : UNKNOWN_REFRESH_MS)) void refresh();
      return value;
    },
    refresh,
  };
}

type Poller = { workerVersionCapabilities?: { buildId?: string | null; useVersioning?: boolean | null } | null; deploymentOptions?: unknown };

/** `["unversioned", "unversioned:<build>"]` when every poller is one unversioned build; otherwise nothing. */
export function buildIdsOf(pollers: Poller[]): string[] | undefined {
  const builds = new Set<string>();
  for (const p of pollers) {
    const capabilities = p.workerVersionCapabilities;
    // Versioned workers (and worker deployments) are given other values by the server.
    if (!capabilities?.buildId || capabilities.useVersioning || p.deploymentOptions) return undefined;
    builds.add(capabilities.buildId);
  }
  if (builds.size !== 1) return undefined;
  return ['unversioned', `unversioned:${[...builds][0]}`];
}

/** Adds `BuildIds` to every workflow the client starts on the tracked task queue (unless the start sets it). */
export function buildIdsAtStart(taskQueue: string, builds: WorkerBuilds): WorkflowClientInterceptor {
  const withBuildIds = <T extends { taskQueue: string; typedSearchAttributes?: SearchAttributePair[] | TypedSearchAttributes }>(options: T): T => {
    if (options.taskQueue !== taskQueue) return options;
    const value = builds.current();
    if (!value) return options;
    const pairs: SearchAttributePair[] = Array.isArray(options.typedSearchAttributes)
      ? options.typedSearchAttributes
      : (options.typedSearchAttributes?.getAll() ?? []);
    if (pairs.some((p) => p.key.name === BUILD_IDS.name)) return options;
    return { ...options, typedSearchAttributes: [...pairs, { key: BUILD_IDS, value }] };
  };
  return {
    start: (input, next) => next({ ...input, options: withBuildIds(input.options) }),
    signalWithStart: (input, next) => next({ ...input, options: withBuildIds(input.options) }),
    startUpdateWithStart: (input, next) => next({ ...input, workflowStartOptions: withBuildIds(input.workflowStartOptions) }),
  };
}
