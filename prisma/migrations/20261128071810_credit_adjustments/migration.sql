-- CreateTable
CREATE TABLE "credit_adjustments" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "operator" TEXT NOT NULL,
    "credits" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "request_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_adjustments_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "credit_adjustments_request_key_key" ON "credit_adjustments"("request_key");

-- CreateIndex
CREATE INDEX "credit_adjustments_account_id_created_at_idx" ON "credit_adjustments"("account_id", "created_at");

