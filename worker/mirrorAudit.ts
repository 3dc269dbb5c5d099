import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Config } from '../common/config';
import { searchAttributes } from '../common/searchAttributes';
import { mirrorAuditWorkflow, mirrorAuditWorkflowId } from '../workflows/mirrorAudit';

/** The task queue's one mirror audit: started once, and left running when it already is. */
export async function startMirrorAudit(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'MIRROR_AUDIT_INTERVAL' | 'MIRROR_AUDIT_GRACE'>): Promise<void> {
  try {
    await temporal.workflow.start(mirrorAuditWorkflow, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowId: mirrorAuditWorkflowId(config.TEMPORAL_TASK_QUEUE),
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: searchAttributes.RecordType, value: 'MIRROR_AUDIT' }],
      args: [{ interval: config.MIRROR_AUDIT_INTERVAL, grace: config.MIRROR_AUDIT_GRACE }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
