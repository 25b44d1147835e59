-- The security-data cleanup (src/security-data/): a record of each run, and the indexes
-- its bounded batch deletes look rows up by (expired and revoked sessions, revoked API
-- tokens, old security events, rate-limit counters whose window has ended).

-- CreateTable
CREATE TABLE "security_data_cleanups" (
    "id" UUID NOT NULL,
    "sessions_deleted" INTEGER NOT NULL,
    "api_tokens_deleted" INTEGER NOT NULL,
    "security_events_deleted" INTEGER NOT NULL,
    "rate_limit_keys_deleted" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "ran_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "security_data_cleanups_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "security_data_cleanups_ran_at_idx" ON "security_data_cleanups"("ran_at");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE INDEX "sessions_revoked_at_idx" ON "sessions"("revoked_at");

-- CreateIndex
CREATE INDEX "api_tokens_revoked_at_idx" ON "api_tokens"("revoked_at");

-- CreateIndex
CREATE INDEX "rate_limit_hits_reset_at_idx" ON "rate_limit_hits"("reset_at");

-- CreateIndex
CREATE INDEX "security_events_created_at_idx" ON "security_events"("created_at");

