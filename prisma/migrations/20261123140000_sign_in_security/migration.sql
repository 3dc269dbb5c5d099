-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "csrfHash" TEXT,
ADD COLUMN     "hipaaAcceptedAt" TIMESTAMP(3),
ADD COLUMN     "hipaaVersion" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "disabledAt" TIMESTAMP(3),
ADD COLUMN     "disabledReason" TEXT,
ADD COLUMN     "failedSignIns" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "inactivityLockedAt" TIMESTAMP(3),
ADD COLUMN     "lockedUntil" TIMESTAMP(3);
