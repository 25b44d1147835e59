-- CreateTable
CREATE TABLE "support_access_audit" (
    "id" UUID NOT NULL,
    "staff_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "action" TEXT NOT NULL,
    "execution_id" UUID,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "support_access_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "support_access_audit_user_id_created_at_id_idx" ON "support_access_audit"("user_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "support_access_audit_created_at_id_idx" ON "support_access_audit"("created_at", "id");

-- AddForeignKey
ALTER TABLE "support_access_audit" ADD CONSTRAINT "support_access_audit_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The audit is append-only: UPDATE is refused, and DELETE too, except inside the erasure
-- engine's transaction (sotally.pseudonymize on, src/erasure/engine.ts), which deletes the
-- erased user's rows as the register says. (The body is an escape string with \073 for
-- each semicolon, as in the credits migration.)
CREATE OR REPLACE FUNCTION "support_access_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN IF TG_OP = ''DELETE'' AND current_setting(''sotally.pseudonymize'', true) = ''on'' THEN RETURN OLD\073 END IF\073 RAISE EXCEPTION ''support_access_audit is append-only (% refused)'', TG_OP USING ERRCODE = ''insufficient_privilege''\073 END'
;
CREATE TRIGGER "support_access_audit_append_only" BEFORE UPDATE OR DELETE ON "support_access_audit"
  FOR EACH ROW EXECUTE FUNCTION "support_access_audit_append_only"();
