// Retention: "all execution data is automatically deleted after 90 days".
// At expiry (or when the user deletes a run early) the whole execution record
// is deleted: inputs, output, ids, tool, model, token counts, status,
// Idempotency-Key and timestamps. What outlives it is the ledger's financial
// entries (kept indefinitely by the policy; they name the execution id, which
// is how `GET /v1/executions/:id` tells an expired run, 410, from one that
// never was, 404) and the anonymous aggregates the analytics feature takes
// before expiry.
import type { PrismaClient } from '@prisma/client';

/** Deletes one record. Idempotent: deleting twice changes nothing the second time. */
export async function deleteExecutionRecord(prisma: PrismaClient, executionId: string): Promise<{ deleted: boolean }> {
  const { count } = await prisma.execution.deleteMany({ where: { id: executionId } });
  return { deleted: count > 0 };
}

/**
 * The safety net: deletes every record past its expiry, in batches (bounded
 * memory and lock time whatever the backlog), and returns how many it found.
 */
export async function sweepExpiredExecutions(prisma: PrismaClient, batchSize = 1000): Promise<number> {
  let found = 0;
  for (;;) {
    const count = await prisma.$executeRaw`
      DELETE FROM executions
       WHERE id IN (
         SELECT id FROM executions
          WHERE expires_at <= now()
          ORDER BY expires_at
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED)`;
    found += count;
    if (count < batchSize) return found;
  }
}

/** Whether the user's ledger names this execution (the run existed and was charged or held): 410 rather than 404. */
export async function ledgerNamesExecution(prisma: PrismaClient, userId: string, executionId: string): Promise<boolean> {
  const entry = await prisma.ledgerEntry.findFirst({ where: { accountId: userId, executionId }, select: { id: true } });
  return entry !== null;
}
