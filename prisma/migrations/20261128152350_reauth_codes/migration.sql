-- AlterTable
ALTER TABLE "security_data_cleanups" ADD COLUMN     "reauth_codes_deleted" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "mail_outbox" ADD COLUMN     "secret_ciphertext" BYTEA;

-- CreateTable
CREATE TABLE "reauth_codes" (
    "user_id" UUID NOT NULL,
    "id" UUID NOT NULL,
    "code_hmac" TEXT NOT NULL,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reauth_codes_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "reauth_codes_id_key" ON "reauth_codes"("id");

-- CreateIndex
CREATE INDEX "reauth_codes_expires_at_idx" ON "reauth_codes"("expires_at");

-- AddForeignKey
ALTER TABLE "reauth_codes" ADD CONSTRAINT "reauth_codes_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

