-- AlterTable
ALTER TABLE "Draft" ADD COLUMN     "idempotencyKey" TEXT,
ADD COLUMN     "requestHash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Draft_userId_idempotencyKey_key" ON "Draft"("userId", "idempotencyKey");
