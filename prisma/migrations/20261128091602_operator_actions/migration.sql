-- CreateTable
CREATE TABLE "operator_actions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "operator" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operator_actions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "operator_actions_user_id_created_at_idx" ON "operator_actions"("user_id", "created_at");

