-- Retention deletes the whole execution record at expiry (policy section 5:
-- "all execution data is automatically deleted after 90 days"). Records that
-- were purged under the old rule (content cleared, row kept) are past expiry
-- or deleted by their owner: they go now, before the column that marked them.
DELETE FROM "executions" WHERE "purged_at" IS NOT NULL;

-- AlterTable
ALTER TABLE "executions" DROP COLUMN "purged_at";

-- RenameIndex
ALTER INDEX "executions_unpurged_expiry_idx" RENAME TO "executions_expires_at_idx";

