-- Staff accounts (nurses, physicians, supervisors, support, administrators) live beside provider
-- accounts in "User": the same sign-in, multi-factor, lockout and reset. Provider-only columns
-- become optional; staff rows leave them empty.

-- CreateEnum
CREATE TYPE "AccessRole" AS ENUM ('PROVIDER', 'NURSE', 'PHYSICIAN', 'SUPERVISOR', 'SUPPORT', 'ADMIN');

-- CreateEnum
CREATE TYPE "PasswordLinkPurpose" AS ENUM ('RESET', 'INVITATION');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "accessRole" "AccessRole" NOT NULL DEFAULT 'PROVIDER',
ADD COLUMN     "createdBy" TEXT,
ALTER COLUMN "workflowId" DROP NOT NULL,
ALTER COLUMN "role" DROP NOT NULL,
ALTER COLUMN "organizationName" DROP NOT NULL,
ALTER COLUMN "line1" DROP NOT NULL,
ALTER COLUMN "city" DROP NOT NULL,
ALTER COLUMN "state" DROP NOT NULL,
ALTER COLUMN "zip" DROP NOT NULL,
ALTER COLUMN "phone" DROP NOT NULL,
ALTER COLUMN "termsVersion" DROP NOT NULL,
ALTER COLUMN "termsAcceptedAt" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "User_accessRole_status_idx" ON "User"("accessRole", "status");

-- AlterTable
ALTER TABLE "PasswordReset" ADD COLUMN     "purpose" "PasswordLinkPurpose" NOT NULL DEFAULT 'RESET';

-- AlterTable: the ordering physician's TIN, from the directory for cases already open.
ALTER TABLE "Case" ADD COLUMN     "orderingTin" CHAR(9);
UPDATE "Case" c SET "orderingTin" = p."tin" FROM "Provider" p WHERE p."npi" = c."orderingNpi";
ALTER TABLE "Case" ALTER COLUMN "orderingTin" SET NOT NULL;

-- CreateIndex
CREATE INDEX "Case_orderingTin_planId_submittedAt_idx" ON "Case"("orderingTin", "planId", "submittedAt");
