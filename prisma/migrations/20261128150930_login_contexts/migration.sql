-- AlterTable
ALTER TABLE "security_events" ADD COLUMN     "details" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "security_data_cleanups" ADD COLUMN     "login_contexts_deleted" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "login_contexts" (
    "user_id" UUID NOT NULL,
    "context_hmac" TEXT NOT NULL,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "login_contexts_pkey" PRIMARY KEY ("user_id","context_hmac")
);

-- CreateIndex
CREATE INDEX "login_contexts_last_seen_at_idx" ON "login_contexts"("last_seen_at");

-- AddForeignKey
ALTER TABLE "login_contexts" ADD CONSTRAINT "login_contexts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

