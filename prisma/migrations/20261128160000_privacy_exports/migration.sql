-- CreateTable
CREATE TABLE "privacy_exports" (
    "request_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "format_version" INTEGER NOT NULL,
    "size_bytes" BIGINT NOT NULL,
    "chunk_count" INTEGER NOT NULL,
    "sha256" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "privacy_exports_pkey" PRIMARY KEY ("request_id")
);

-- CreateTable
CREATE TABLE "privacy_export_chunks" (
    "request_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "user_id" UUID NOT NULL,
    "ciphertext" BYTEA NOT NULL,

    CONSTRAINT "privacy_export_chunks_pkey" PRIMARY KEY ("request_id","seq")
);

-- CreateIndex
CREATE INDEX "privacy_exports_user_id_idx" ON "privacy_exports"("user_id");

-- CreateIndex
CREATE INDEX "privacy_export_chunks_user_id_idx" ON "privacy_export_chunks"("user_id");

-- AddForeignKey
ALTER TABLE "privacy_exports" ADD CONSTRAINT "privacy_exports_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "privacy_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_exports" ADD CONSTRAINT "privacy_exports_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "privacy_export_chunks" ADD CONSTRAINT "privacy_export_chunks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

