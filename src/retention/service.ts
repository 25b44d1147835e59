// Retention: "all execution data is automatically deleted after 90 days".
// At expiry (or when the user deletes a run early) the whole execution record
// is deleted: inputs, output, ids, tool, model, token counts, status,
// Idempotency-Key and timestamps. What outlives it is the ledger's financial
// entries (kept indefinitely by the policy; they name the execution id, which
// is how `GET /v1/executions/:id` tells an expired run, 410, from one that
// never was, 404) and the anonymous aggregates the analytics feature takes
// before expiry.
import type { PrismaClient } from '@prisma/client';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { executionWorkflowId } from '../executions/contract';
import { purgeNowSignal, retentionWorkflowId } from './contract';

/** Deletes one record. Idempotent: deleting twice changes nothing the second time. */
export async function deleteExecutionRecord(prisma: PrismaClient, executionId: string): Promise<{ deleted: boolean }> {
  const { count } = await prisma.execution.deleteMany({ where: { id: executionId } });
  return { deleted: count > 0 };
}

/**
 * Ends a record's timer now (the user deleted the run, or an erasure): the timer deletes the
 * record as it ends. Runs from before one workflow per record keep it in a retention workflow of
 * their own, which exists only for them: that one is signalled first, because such a run's own
 * workflow may still be open for a moment after settling and would take the signal without a
 * handler for it. Otherwise the run's own workflow keeps the timer. None open (the timer already
 * fired, or a run from before timers): nothing to end.
 */
export async function endRecordTimer(temporal: Client, executionId: string): Promise<void> {
  for (const workflowId of [retentionWorkflowId(executionId), executionWorkflowId(executionId)]) {
    try {
      await temporal.workflow.getHandle(workflowId).signal(purgeNowSignal);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
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
