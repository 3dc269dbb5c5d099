-- AlterTable
ALTER TABLE "HealthPlan" ADD COLUMN     "expeditedDecisionHours" INTEGER NOT NULL DEFAULT 72,
ADD COLUMN     "returnActiveOrderForDuplicate" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "standardDecisionHours" INTEGER NOT NULL DEFAULT 168;

-- CreateTable
CREATE TABLE "Case" (
    "id" UUID NOT NULL,
    "caseNumber" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "draftId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "memberId" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "state" CHAR(2) NOT NULL,
    "program" "ClinicalProgram" NOT NULL,
    "urgency" TEXT NOT NULL,
    "orderingNpi" CHAR(10) NOT NULL,
    "status" TEXT NOT NULL,
    "waitingOn" TEXT NOT NULL,
    "assignedTo" TEXT,
    "submittedAt" TIMESTAMP(3) NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "warnedAt" TIMESTAMP(3),
    "breachedAt" TIMESTAMP(3),
    "decidedAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "request" JSONB NOT NULL,
    "view" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Case_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseExam" (
    "caseId" UUID NOT NULL,
    "examIndex" INTEGER NOT NULL,
    "procedureCode" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "decisionCode" TEXT,
    "requestedUnits" INTEGER,
    "approvedUnits" INTEGER,
    "servicingNpi" CHAR(10),
    "guidelineId" TEXT,
    "guidelineVersion" INTEGER,
    "outcome" TEXT,
    "decidedBy" TEXT,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "CaseExam_pkey" PRIMARY KEY ("caseId","examIndex")
);

-- CreateTable
CREATE TABLE "OrderNumber" (
    "number" TEXT NOT NULL,
    "caseId" UUID NOT NULL,
    "examIndex" INTEGER NOT NULL,
    "sequence" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OrderNumber_pkey" PRIMARY KEY ("number")
);

-- CreateTable
CREATE TABLE "CaseEvent" (
    "caseId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "examIndex" INTEGER,
    "actor" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "summary" TEXT NOT NULL,

    CONSTRAINT "CaseEvent_pkey" PRIMARY KEY ("caseId","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "Case_caseNumber_key" ON "Case"("caseNumber");

-- CreateIndex
CREATE UNIQUE INDEX "Case_workflowId_key" ON "Case"("workflowId");

-- CreateIndex
CREATE UNIQUE INDEX "Case_draftId_key" ON "Case"("draftId");

-- CreateIndex
CREATE INDEX "Case_userId_submittedAt_idx" ON "Case"("userId", "submittedAt");

-- CreateIndex
CREATE INDEX "Case_status_dueAt_idx" ON "Case"("status", "dueAt");

-- CreateIndex
CREATE INDEX "Case_memberId_idx" ON "Case"("memberId");

-- CreateIndex
CREATE INDEX "CaseExam_procedureCode_status_idx" ON "CaseExam"("procedureCode", "status");

-- CreateIndex
CREATE INDEX "OrderNumber_status_expiresAt_idx" ON "OrderNumber"("status", "expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "OrderNumber_caseId_examIndex_sequence_key" ON "OrderNumber"("caseId", "examIndex", "sequence");

-- AddForeignKey
ALTER TABLE "CaseExam" ADD CONSTRAINT "CaseExam_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrderNumber" ADD CONSTRAINT "OrderNumber_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaseEvent" ADD CONSTRAINT "CaseEvent_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
