-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateEnum
CREATE TYPE "ClinicalProgram" AS ENUM ('IMAGING', 'REHAB');

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('ORDERING_PHYSICIAN', 'SERVICING_FACILITY');

-- CreateEnum
CREATE TYPE "CodeSystem" AS ENUM ('ICD10CM', 'CPT', 'HCPCS');

-- CreateEnum
CREATE TYPE "DraftStatus" AS ENUM ('OPEN', 'SUBMITTED', 'DISCARDED');

-- AlterTable
ALTER TABLE "HealthPlan" ADD COLUMN     "orderValidityDays" INTEGER NOT NULL DEFAULT 60;

-- CreateTable
CREATE TABLE "PlanProgram" (
    "planId" TEXT NOT NULL,
    "program" "ClinicalProgram" NOT NULL,
    "state" CHAR(2) NOT NULL,
    "startsOn" DATE NOT NULL,
    "endsOn" DATE,

    CONSTRAINT "PlanProgram_pkey" PRIMARY KEY ("planId","program","state","startsOn")
);

-- CreateTable
CREATE TABLE "Provider" (
    "npi" CHAR(10) NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "name" TEXT NOT NULL,
    "specialty" TEXT NOT NULL,
    "tin" CHAR(9),
    "line1" TEXT NOT NULL,
    "city" TEXT NOT NULL,
    "state" CHAR(2) NOT NULL,
    "zip" TEXT NOT NULL,
    "phone" TEXT NOT NULL,
    "services" TEXT[],
    "searchText" TEXT NOT NULL,

    CONSTRAINT "Provider_pkey" PRIMARY KEY ("npi")
);

-- CreateTable
CREATE TABLE "ProviderNetwork" (
    "npi" CHAR(10) NOT NULL,
    "planId" TEXT NOT NULL,
    "inNetwork" BOOLEAN NOT NULL,

    CONSTRAINT "ProviderNetwork_pkey" PRIMARY KEY ("npi","planId")
);

-- CreateTable
CREATE TABLE "Member" (
    "id" TEXT NOT NULL,
    "firstName" TEXT NOT NULL,
    "lastName" TEXT NOT NULL,
    "birthDate" DATE NOT NULL,
    "sex" CHAR(1) NOT NULL,
    "planId" TEXT NOT NULL,
    "state" CHAR(2) NOT NULL,
    "eligibleFrom" DATE NOT NULL,
    "eligibleTo" DATE,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Code" (
    "system" "CodeSystem" NOT NULL,
    "code" TEXT NOT NULL,
    "display" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "billable" BOOLEAN NOT NULL,
    "program" "ClinicalProgram",
    "procedureGroup" TEXT,
    "modality" TEXT,
    "unit" TEXT,
    "searchText" TEXT NOT NULL,
    "searchWords" TEXT[],

    CONSTRAINT "Code_pkey" PRIMARY KEY ("system","code")
);

-- CreateTable
CREATE TABLE "CodeWord" (
    "word" TEXT NOT NULL,
    "codes" INTEGER NOT NULL,

    CONSTRAINT "CodeWord_pkey" PRIMARY KEY ("word")
);

-- CreateTable
CREATE TABLE "Guideline" (
    "id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "program" "ClinicalProgram" NOT NULL,
    "procedureGroup" TEXT NOT NULL,
    "healthPlanIds" TEXT[],
    "effectiveFrom" DATE NOT NULL,
    "effectiveTo" DATE,
    "document" JSONB NOT NULL,

    CONSTRAINT "Guideline_pkey" PRIMARY KEY ("id","version")
);

-- CreateTable
CREATE TABLE "Draft" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "status" "DraftStatus" NOT NULL DEFAULT 'OPEN',
    "content" JSONB NOT NULL,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Draft_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Provider_kind_state_idx" ON "Provider"("kind", "state");

-- CreateIndex
CREATE INDEX "Provider_tin_idx" ON "Provider"("tin");

-- CreateIndex
CREATE INDEX "Provider_searchText_idx" ON "Provider" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "ProviderNetwork_planId_idx" ON "ProviderNetwork"("planId");

-- CreateIndex
CREATE INDEX "Member_planId_lastName_idx" ON "Member"("planId", "lastName");

-- CreateIndex
CREATE INDEX "Code_program_system_idx" ON "Code"("program", "system");

-- CreateIndex
CREATE INDEX "Code_searchText_idx" ON "Code" USING GIN ("searchText" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Code_searchWords_idx" ON "Code" USING GIN ("searchWords");

-- CreateIndex
CREATE INDEX "CodeWord_word_idx" ON "CodeWord" USING GIN ("word" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Guideline_procedureGroup_idx" ON "Guideline"("procedureGroup");

-- CreateIndex
CREATE INDEX "Draft_userId_status_updatedAt_idx" ON "Draft"("userId", "status", "updatedAt");

-- AddForeignKey
ALTER TABLE "PlanProgram" ADD CONSTRAINT "PlanProgram_planId_fkey" FOREIGN KEY ("planId") REFERENCES "HealthPlan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderNetwork" ADD CONSTRAINT "ProviderNetwork_npi_fkey" FOREIGN KEY ("npi") REFERENCES "Provider"("npi") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderNetwork" ADD CONSTRAINT "ProviderNetwork_planId_fkey" FOREIGN KEY ("planId") REFERENCES "HealthPlan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_planId_fkey" FOREIGN KEY ("planId") REFERENCES "HealthPlan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Draft" ADD CONSTRAINT "Draft_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "DataLoad" (
    "source" TEXT NOT NULL,
    "checksum" TEXT NOT NULL,
    "rows" INTEGER NOT NULL,
    "loadedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DataLoad_pkey" PRIMARY KEY ("source")
);
