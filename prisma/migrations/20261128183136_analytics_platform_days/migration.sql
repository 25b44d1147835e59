-- CreateTable
CREATE TABLE "analytics_platform_days" (
    "day" TIMESTAMPTZ(3) NOT NULL,
    "runs" INTEGER NOT NULL,
    "succeeded" INTEGER NOT NULL,
    "failed" INTEGER NOT NULL,
    "p50_latency_ms" INTEGER,
    "p95_latency_ms" INTEGER,
    "credits_earned" INTEGER NOT NULL,
    "distinct_users" INTEGER NOT NULL,
    "failures_by_code" JSONB NOT NULL DEFAULT '{}',
    "rolled_up_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analytics_platform_days_pkey" PRIMARY KEY ("day")
);

