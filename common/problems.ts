import type { ProblemKind } from '../generated/prisma/client';
import type { PrismaClient } from './db';
import { recordTypeOf } from './temporal';

/**
 * Records that a problem was seen again (the support console's stuck list reads these rows).
 * One row per (workflow, kind, key): seen while open, it counts one more sighting; seen after it
 * was resolved (or in another run), it opens again with a fresh first-seen time.
 */
export async function sawProblem(
  prisma: PrismaClient,
  p: { workflowId: string; kind: ProblemKind; key?: string; runId?: string; subject: string; detail: string; recordType?: string },
  attempts?: number,
): Promise<void> {
  const where = { workflowId_kind_key: { workflowId: p.workflowId, kind: p.kind, key: p.key ?? '' } };
  const now = new Date();
  const existing = await prisma.workflowProblem.findUnique({ where });
  // A workflow's code failing in a new run (a reset, a continue-as-new) is a new problem.
  const reopened = !existing || existing.resolvedAt !== null || (p.kind === 'WORKFLOW_TASK_FAILING' && p.runId !== existing.runId);
  await prisma.workflowProblem.upsert({
    where,
    create: { ...where.workflowId_kind_key, runId: p.runId, recordType: p.recordType ?? recordTypeOf(p.workflowId), subject: p.subject, detail: p.detail, attempts: attempts ?? 1, firstSeenAt: now, lastSeenAt: now },
    update: {
      ...(p.runId !== undefined ? { runId: p.runId } : {}),
      subject: p.subject,
      detail: p.detail,
      lastSeenAt: now,
      attempts: attempts ?? (reopened ? 1 : { increment: 1 }),
      ...(reopened ? { firstSeenAt: now, resolvedAt: null, resolvedBy: null, resolution: null } : {}),
    },
  });
}
