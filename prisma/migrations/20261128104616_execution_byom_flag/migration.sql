-- AlterTable
ALTER TABLE "executions" ADD COLUMN     "byom" BOOLEAN NOT NULL DEFAULT false;


-- Runs admitted before the flag existed: BYOM exactly when they still name a key.
UPDATE "executions" SET "byom" = true WHERE "provider_key_id" IS NOT NULL;
