-- CreateTable
CREATE TABLE "incidents" (
    "id" UUID NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "breach_type" TEXT NOT NULL,
    "data_categories" TEXT[],
    "personal_data_exposed" BOOLEAN NOT NULL,
    "scope" JSONB NOT NULL,
    "measures_taken" TEXT NOT NULL,
    "likely_consequences" TEXT NOT NULL,
    "user_actions" TEXT NOT NULL,
    "discovered_at" TIMESTAMPTZ(3) NOT NULL,
    "notify_by" TIMESTAMPTZ(3) NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "scope_generation" INTEGER NOT NULL DEFAULT 1,
    "resolved_at" TIMESTAMPTZ(3),
    "report_prepared_at" TIMESTAMPTZ(3),
    "retracted_at" TIMESTAMPTZ(3),
    "retract_reason" TEXT,
    "closed_at" TIMESTAMPTZ(3),
    "affected_count" INTEGER NOT NULL DEFAULT 0,
    "notified_count" INTEGER NOT NULL DEFAULT 0,
    "offers_issued" INTEGER NOT NULL DEFAULT 0,
    "deadline_outcome" JSONB,
    "failures" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "incidents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_recipients" (
    "incident_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "in_scope" BOOLEAN NOT NULL DEFAULT true,
    "scope_generation" INTEGER NOT NULL,
    "notice_version" INTEGER,
    "notified_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_pass" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "corrected_at" TIMESTAMPTZ(3),
    "offer_code_ciphertext" BYTEA,
    "offer_issued_at" TIMESTAMPTZ(3),
    "offer_closed_at" TIMESTAMPTZ(3),
    "added_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "incident_recipients_pkey" PRIMARY KEY ("incident_id","user_id")
);

-- CreateTable
CREATE TABLE "incident_reports" (
    "id" UUID NOT NULL,
    "incident_id" UUID NOT NULL,
    "phase" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "incident_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_escalations" (
    "incident_id" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "to" TEXT[],
    "pending" TEXT[],

    CONSTRAINT "incident_escalations_pkey" PRIMARY KEY ("incident_id","label")
);

-- CreateIndex
CREATE UNIQUE INDEX "incidents_workflow_id_key" ON "incidents"("workflow_id");

-- CreateIndex
CREATE INDEX "incidents_closed_at_notify_by_idx" ON "incidents"("closed_at", "notify_by");

-- CreateIndex
CREATE INDEX "incident_recipients_incident_id_in_scope_notice_version_idx" ON "incident_recipients"("incident_id", "in_scope", "notice_version");

-- CreateIndex
CREATE INDEX "incident_recipients_user_id_idx" ON "incident_recipients"("user_id");

-- CreateIndex
CREATE INDEX "incident_reports_incident_id_submitted_at_idx" ON "incident_reports"("incident_id", "submitted_at");

-- CreateIndex
CREATE UNIQUE INDEX "incident_reports_incident_id_reference_key" ON "incident_reports"("incident_id", "reference");

-- AddForeignKey
ALTER TABLE "incident_recipients" ADD CONSTRAINT "incident_recipients_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_recipients" ADD CONSTRAINT "incident_recipients_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_reports" ADD CONSTRAINT "incident_reports_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "incident_escalations" ADD CONSTRAINT "incident_escalations_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

