import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import type { PrismaClient } from '../common/db';
import type { Logger } from '../common/logger';
import { sawProblem } from '../common/problems';
import { activityLabel, coreFailureMessage, failureInWords } from '../domain/problems';

/**
 * What this worker sees going wrong, kept where support finds it (WorkflowProblem) without
 * reading workflow histories or scanning workflows:
 * - every failed attempt of a retryable activity (the row resolves when the activity succeeds);
 * - every failed workflow task, from the SDK core's log (the run's workflow id is looked up in
 *   visibility, and only this worker's task queue is recorded).
 * Recording is best effort: a failure to record is logged, never thrown into the activity.
 */
export function problemRecorder(deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; log: Logger }) {
  const { prisma, log } = deps;
  // Activities of this process with an open row: a success resolves it without a query per activity.
  const open = new Set<string>();

  const recordActivityFailure = async (info: { workflowId: string; runId: string; activityId: string; activityType: string; attempt: number }, args: unknown[], err: unknown) => {
    const subject = activityLabel(info.activityType, args);
    const detail = failureInWords(err instanceof Error ? err.message : String(err), subject);
    await sawProblem(prisma, { workflowId: info.workflowId, kind: 'ACTIVITY_RETRYING', key: info.activityId, runId: info.runId, subject, detail }, info.attempt);
    open.add(`${info.workflowId}/${info.activityId}`);
  };

  const resolveActivity = async (workflowId: string, activityId: string, attempt: number) => {
    await prisma.workflowProblem.updateMany({
      where: { workflowId, kind: 'ACTIVITY_RETRYING', key: activityId, resolvedAt: null },
      data: { resolvedAt: new Date(), resolvedBy: 'worker', resolution: `succeeded on attempt ${attempt}` },
    });
    open.delete(`${workflowId}/${activityId}`);
  };

  const activityInterceptor: ActivityInterceptorsFactory = (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const info = ctx.info;
        // Standalone activities (none here) have no workflow to report against.
        if (!info.workflowExecution) return next(input);
        // A local activity's id is a sequence number of its run: its row says it is local.
        const activityId = info.isLocal ? `local-${info.activityId}` : info.activityId;
        const who = { workflowId: info.workflowExecution.workflowId, runId: info.workflowExecution.runId, activityId, activityType: info.activityType, attempt: info.attempt };
        try {
          const result = await next(input);
          // Attempt 1 can follow a failure too: support's "retry now" starts the count again.
          if (info.attempt > 1 || open.has(`${who.workflowId}/${who.activityId}`)) {
            await resolveActivity(who.workflowId, who.activityId, info.attempt).catch((e: unknown) => log.warn({ err: e, ...who }, 'could not resolve an activity problem'));
          }
          return result;
        } catch (err) {
          // A business refusal is the workflow's to answer, not a problem to retry.
          if (!(err instanceof ApplicationFailure && err.nonRetryable)) {
            await recordActivityFailure(who, input.args, err).catch((e: unknown) => log.warn({ err: e, ...who }, 'could not record an activity problem'));
          }
          throw err;
        }
      },
    };
    return { inbound };
  };

  /** From the SDK core's "Failing workflow task" log line: the run and its failure. */
  const recordWorkflowTaskFailure = async (runId: string, failure: string) => {
    let workflowId: string | undefined;
    for await (const w of deps.temporal.workflow.list({ query: `RunId = '${runId.replace(/'/g, '')}'`, pageSize: 1 })) {
      if (w.taskQueue === deps.taskQueue) workflowId = w.workflowId;
      break;
    }
    if (!workflowId) return;
    await sawProblem(prisma, { workflowId, kind: 'WORKFLOW_TASK_FAILING', runId, subject: 'the workflow code', detail: failureInWords(coreFailureMessage(failure)) });
  };

  return {
    activityInterceptor,
    onCoreLog(message: string, meta: Record<string, unknown> | undefined) {
      if (message !== 'Failing workflow task' || typeof meta?.runId !== 'string') return;
      recordWorkflowTaskFailure(meta.runId, String(meta.failure ?? '')).catch((err: unknown) => log.warn({ err, runId: meta.runId }, 'could not record a workflow task problem'));
    },
  };
}

export type ProblemRecorder = ReturnType<typeof problemRecorder>;
