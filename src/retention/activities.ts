import type { PrismaClient } from '@prisma/client';
import type { Logger } from '../logger';
import { deleteExecutionRecord, sweepExpiredExecutions } from './service';

export function createRetentionActivities({ prisma, logger }: { prisma: PrismaClient; logger: Logger }) {
  return {
    /**
     * Deletes the execution record at expiry. The name is from when only the
     * content was destroyed; recorded histories call it by this name.
     */
    async purgeExecutionData(executionId: string): Promise<{ purged: boolean }> {
      const { deleted } = await deleteExecutionRecord(prisma, executionId);
      return { purged: deleted };
    },

    /** Runs the sweep and records its result (exported as a metric by the API). */
    async sweepExpiredExecutions(): Promise<number> {
      const started = Date.now();
      const found = await sweepExpiredExecutions(prisma);
      await prisma.retentionSweep.create({ data: { found, durationMs: Date.now() - started } });
      if (found > 0) logger.warn({ found }, 'retention sweep deleted expired records whose timers had not (a healthy system finds 0)');
      else logger.info({ found }, 'retention sweep found nothing to delete');
      return found;
    },
  };
}
