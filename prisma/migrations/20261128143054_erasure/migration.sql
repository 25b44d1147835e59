-- DropForeignKey
ALTER TABLE "tools" DROP CONSTRAINT "tools_creator_id_fkey";

-- DropForeignKey
ALTER TABLE "credit_accounts" DROP CONSTRAINT "credit_accounts_user_id_fkey";

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "erasure_started_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "mail_outbox" ADD COLUMN     "sealed_recipient_ciphertext" BYTEA,
ALTER COLUMN "user_id" DROP NOT NULL,
ALTER COLUMN "recipient_ciphertext" DROP NOT NULL;

-- CreateTable
CREATE TABLE "erasure_requests" (
    "request_id" UUID NOT NULL,
    "user_id" UUID,
    "pseudonym" UUID NOT NULL,
    "recipient_ciphertext" BYTEA,
    "grace_ends_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "erasure_requests_pkey" PRIMARY KEY ("request_id")
);

-- CreateTable
CREATE TABLE "erasure_certificates" (
    "request_id" UUID NOT NULL,
    "pseudonym" UUID NOT NULL,
    "categories" JSONB NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "erasure_certificates_pkey" PRIMARY KEY ("request_id")
);

-- CreateIndex
CREATE INDEX "erasure_requests_user_id_idx" ON "erasure_requests"("user_id");

-- AddForeignKey
ALTER TABLE "erasure_requests" ADD CONSTRAINT "erasure_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;


-- Erasure pseudonymizes the ledger: the one UPDATE the append-only ledger allows
-- changes account_id and nothing else, inside a transaction that turned the
-- setting sotally.pseudonymize on (src/privacy/erasure.ts). Everything else
-- stays refused, deletes included. (The body is an escape string with \073 for
-- each semicolon, as in the credits migration.)
CREATE OR REPLACE FUNCTION "ledger_entries_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN IF TG_OP = ''UPDATE'' AND current_setting(''sotally.pseudonymize'', true) = ''on'' AND (to_jsonb(NEW) - ''account_id'') = (to_jsonb(OLD) - ''account_id'') THEN RETURN NEW\073 END IF\073 RAISE EXCEPTION ''ledger_entries is append-only (% refused)'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END'
;
