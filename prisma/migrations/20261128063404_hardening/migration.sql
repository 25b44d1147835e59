-- AlterTable
ALTER TABLE "tools" ADD COLUMN     "byom_only" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "executions" ADD COLUMN     "request_hash" TEXT;

