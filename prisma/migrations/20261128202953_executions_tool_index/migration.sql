-- CreateIndex
CREATE INDEX "executions_tool_id_created_at_idx" ON "executions"("tool_id", "created_at");

