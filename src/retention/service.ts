// Destroying an execution's personal content: the encrypted inputs and output
// are set to NULL (the ciphertext is gone from the row, not hidden), and
// purged_at records when. The request hash (SHA-256 of the inputs, for Idempotency-Key) goes with them. What the ledger and anonymized analytics need stays:
// ids, tool, status, cost, token counts, timestamps.
import type { PrismaClient } from '@prisma/client';

/** Purges one record. Idempotent: purging twice changes nothing the second time. */
export async function purgeExecutionData(prisma: PrismaClient, executionId: string): Promise<{ purged: boolean }> {
  const count = await prisma.$executeRaw`
    UPDATE executions
       SET inputs_ciphertext = NULL, output_ciphertext = NULL, error_message = NULL, request_hash = NULL, purged_at = now()
     WHERE id = ${executionId}::uuid AND purged_at IS NULL`;
  return { purged: count > 0 };
}

/**
 * The safety net: purges every record past its expiry that still holds data,
 * in batches (bounded memory whatever the backlog), and returns how many it found.
 */
export async function sweepExpiredExecutions(prisma: PrismaClient, batchSize = 1000): Promise<number> {
  let found = 0;
  for (;;) {
    const count = await prisma.$executeRaw`
      UPDATE executions
         SET inputs_ciphertext = NULL, output_ciphertext = NULL, error_message = NULL, request_hash = NULL, purged_at = now()
       WHERE id IN (
         SELECT id FROM executions
          WHERE expires_at <= now() AND purged_at IS NULL
          ORDER BY expires_at
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED)`;
    found += count;
    if (count < batchSize) return found;
  }
}
