-- CreateTable
CREATE TABLE "IdentityConfirmation" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "codeHash" TEXT NOT NULL,
    "questionId" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "confirmedAt" TIMESTAMP(3),

    CONSTRAINT "IdentityConfirmation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IdentityConfirmation_userId_idx" ON "IdentityConfirmation"("userId");
