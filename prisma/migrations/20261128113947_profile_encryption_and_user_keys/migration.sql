-- Profiles encrypted at rest under per-user data keys (issue 11). The clear
-- columns stay, nullable, until `npm run keys -- backfill` has encrypted every
-- existing row (batched, resumable). The application never writes them again.
-- AlterTable
ALTER TABLE "users" ADD COLUMN     "avatar_ciphertext" BYTEA,
ADD COLUMN     "email_ciphertext" BYTEA,
ADD COLUMN     "email_index" TEXT,
ADD COLUMN     "name_ciphertext" BYTEA,
ALTER COLUMN "name" DROP NOT NULL,
ALTER COLUMN "email" DROP NOT NULL;

-- CreateTable
CREATE TABLE "user_keys" (
    "user_id" UUID NOT NULL,
    "wrapped_key" BYTEA,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "destroyed_at" TIMESTAMPTZ(3),

    CONSTRAINT "user_keys_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_index_key" ON "users"("email_index");

-- AddForeignKey
ALTER TABLE "user_keys" ADD CONSTRAINT "user_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

