// The rollup's side effect: SQL over the runs, one closed hour range per call.
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createRollup } from './rollup';

export function createAnalyticsActivities({ prisma, config, logger }: { prisma: PrismaClient; config: Config; logger: Logger }) {
  const rollup = createRollup(prisma, { minGroup: config.ANALYTICS_MIN_GROUP, settleMs: config.ANALYTICS_SETTLE, retentionMs: config.EXECUTION_RETENTION });
  return {
    /**
     * Rolls up the closed hours after the watermark. `now` is the workflow's clock: the hours are
     * closed on the server's time, which a time-skipping test moves on.
     */
    async rollUpUsage(now: number) {
      const result = await rollup.rollUp(now);
      if (result.hours > 0) logger.info(result, 'usage rolled up');
      return result;
    },
  };
}
