-- CreateEnum
CREATE TYPE "ProblemKind" AS ENUM ('ACTIVITY_RETRYING', 'WORKFLOW_TASK_FAILING', 'MIRROR_DRIFT', 'MANUAL_FOLLOW_UP');

-- CreateTable
CREATE TABLE "WorkflowProblem" (
    "id" BIGSERIAL NOT NULL,
    "kind" "ProblemKind" NOT NULL,
    "workflowId" TEXT NOT NULL,
    "key" TEXT NOT NULL DEFAULT '',
    "runId" TEXT,
    "recordType" TEXT,
    "subject" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "resolvedBy" TEXT,
    "resolution" TEXT,

    CONSTRAINT "WorkflowProblem_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "WorkflowProblem_workflowId_kind_key_key" ON "WorkflowProblem"("workflowId", "kind", "key");

-- CreateIndex
CREATE INDEX "WorkflowProblem_resolvedAt_kind_idx" ON "WorkflowProblem"("resolvedAt", "kind");
