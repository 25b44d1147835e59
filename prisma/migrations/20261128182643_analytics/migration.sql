-- CreateTable
CREATE TABLE "analytics_buckets" (
    "tool_id" UUID NOT NULL,
    "granularity" TEXT NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "runs" INTEGER NOT NULL,
    "succeeded" INTEGER NOT NULL,
    "failed" INTEGER NOT NULL,
    "p50_latency_ms" INTEGER,
    "p95_latency_ms" INTEGER,
    "credits_earned" INTEGER NOT NULL,
    "distinct_users" INTEGER NOT NULL,
    "failures_by_code" JSONB NOT NULL DEFAULT '{}',
    "rolled_up_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analytics_buckets_pkey" PRIMARY KEY ("tool_id","granularity","bucket_start")
);

-- CreateTable
CREATE TABLE "analytics_watermarks" (
    "kind" TEXT NOT NULL,
    "up_to" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "analytics_watermarks_pkey" PRIMARY KEY ("kind")
);

-- CreateIndex
CREATE INDEX "analytics_buckets_granularity_bucket_start_idx" ON "analytics_buckets"("granularity", "bucket_start");

