-- CreateEnum
CREATE TYPE "LedgerEntryType" AS ENUM ('purchase', 'reservation', 'capture', 'release', 'refund', 'dispute', 'adjustment');

-- CreateEnum
CREATE TYPE "ReservationState" AS ENUM ('held', 'captured', 'released');

-- CreateTable
CREATE TABLE "credit_accounts" (
    "user_id" UUID NOT NULL,
    "available" INTEGER NOT NULL DEFAULT 0,
    "reserved" INTEGER NOT NULL DEFAULT 0,
    "shortfall" INTEGER NOT NULL DEFAULT 0,
    "fraud_flagged_at" TIMESTAMPTZ(3),
    "fraud_reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "credit_accounts_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "type" "LedgerEntryType" NOT NULL,
    "available_delta" INTEGER NOT NULL,
    "reserved_delta" INTEGER NOT NULL,
    "shortfall" INTEGER NOT NULL DEFAULT 0,
    "tool_id" UUID,
    "execution_id" UUID,
    "stripe_object_id" TEXT,
    "idempotency_key" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_reservations" (
    "execution_id" UUID NOT NULL,
    "account_id" UUID NOT NULL,
    "tool_id" UUID,
    "amount" INTEGER NOT NULL,
    "state" "ReservationState" NOT NULL DEFAULT 'held',
    "captured_amount" INTEGER,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settled_at" TIMESTAMPTZ(3),

    CONSTRAINT "credit_reservations_pkey" PRIMARY KEY ("execution_id")
);

-- CreateTable
CREATE TABLE "credit_purchases" (
    "checkout_session_id" TEXT NOT NULL,
    "account_id" UUID NOT NULL,
    "package_id" TEXT NOT NULL,
    "credits" INTEGER NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "request_key" TEXT,
    "checkout_url" TEXT NOT NULL,
    "payment_intent_id" TEXT,
    "paid_at" TIMESTAMPTZ(3),
    "credited_at" TIMESTAMPTZ(3),
    "clawed_back" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_purchases_pkey" PRIMARY KEY ("checkout_session_id")
);

-- CreateTable
CREATE TABLE "credit_clawbacks" (
    "stripe_object_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payment_intent_id" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_clawbacks_pkey" PRIMARY KEY ("stripe_object_id")
);

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ledger_entries_idempotency_key_key" ON "ledger_entries"("idempotency_key");

-- CreateIndex
CREATE INDEX "ledger_entries_account_id_created_at_id_idx" ON "ledger_entries"("account_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "credit_reservations_state_expires_at_idx" ON "credit_reservations"("state", "expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "credit_purchases_payment_intent_id_key" ON "credit_purchases"("payment_intent_id");

-- CreateIndex
CREATE UNIQUE INDEX "credit_purchases_account_id_request_key_key" ON "credit_purchases"("account_id", "request_key");

-- CreateIndex
CREATE INDEX "credit_clawbacks_payment_intent_id_idx" ON "credit_clawbacks"("payment_intent_id");

-- AddForeignKey
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written: what Prisma's schema cannot express. (The drift test ignores
-- CHECK constraints and triggers, test/credits asserts they hold.)

-- Balances can never go negative, whatever the code does.
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_available_non_negative" CHECK ("available" >= 0);
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_reserved_non_negative" CHECK ("reserved" >= 0);
ALTER TABLE "credit_accounts" ADD CONSTRAINT "credit_accounts_shortfall_non_negative" CHECK ("shortfall" >= 0);
ALTER TABLE "credit_reservations" ADD CONSTRAINT "credit_reservations_amount_positive" CHECK ("amount" > 0);
ALTER TABLE "credit_reservations" ADD CONSTRAINT "credit_reservations_capture_within_hold"
  CHECK ("captured_amount" IS NULL OR ("captured_amount" >= 0 AND "captured_amount" <= "amount"));

-- The ledger is append-only: no UPDATE or DELETE of an entry, ever. (Erasure
-- will pseudonymize through a dedicated, audited path in its own migration.)
-- Prisma's offline migration runner splits scripts at every semicolon, even inside
-- a $$-quoted body, so the body is an escape string with \073 (octal for the
-- semicolon that ends the RAISE statement).
CREATE FUNCTION "ledger_entries_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN RAISE EXCEPTION ''ledger_entries is append-only (% refused)'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END'
;
CREATE TRIGGER "ledger_entries_no_update_or_delete"
  BEFORE UPDATE OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION "ledger_entries_append_only"();
