-- AlterTable
ALTER TABLE "executions" ADD COLUMN     "purged_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "retention_sweeps" (
    "id" UUID NOT NULL,
    "found" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "ran_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "retention_sweeps_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "retention_sweeps_ran_at_idx" ON "retention_sweeps"("ran_at");

-- CreateIndex
CREATE INDEX "executions_unpurged_expiry_idx" ON "executions"("expires_at");

