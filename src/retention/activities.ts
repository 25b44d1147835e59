import type { PrismaClient } from '@prisma/client';
import type { Logger } from '../logger';
import { purgeExecutionData, sweepExpiredExecutions } from './service';

export function createRetentionActivities({ prisma, logger }: { prisma: PrismaClient; logger: Logger }) {
  return {
    purgeExecutionData(executionId: string) {
      return purgeExecutionData(prisma, executionId);
    },

    /** Runs the sweep and records its result (exported as a metric by the API). */
    async sweepExpiredExecutions(): Promise<number> {
      const started = Date.now();
      const found = await sweepExpiredExecutions(prisma);
      await prisma.retentionSweep.create({ data: { found, durationMs: Date.now() - started } });
      if (found > 0) logger.warn({ found }, 'retention sweep purged records whose timers had not (a healthy system finds 0)');
      else logger.info({ found }, 'retention sweep found nothing to purge');
      return found;
    },
  };
}
