import { heartbeat } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SecurityDataDeleted } from './contract';
import { deleteExpiredSecurityData } from './service';

export function createSecurityDataActivities({ prisma, config, logger }: { prisma: PrismaClient; config: Config; logger: Logger }) {
  return {
    /** Deletes the security data past its retention and records the run (exported as metrics by the API). */
    async cleanUpSecurityData(): Promise<SecurityDataDeleted> {
      const started = Date.now();
      const deleted = await deleteExpiredSecurityData(
        prisma,
        {
          revokedApiTokenRetentionMs: config.REVOKED_API_TOKEN_RETENTION,
          securityEventRetentionMs: config.SECURITY_EVENT_RETENTION,
          loginContextRetentionMs: config.LOGIN_CONTEXT_RETENTION,
        },
        // A large backlog takes many batches: heartbeats keep a live run alive and let Temporal retry a dead one soon.
        { onBatch: () => heartbeat() },
      );
      const durationMs = Date.now() - started;
      await prisma.securityDataCleanup.create({
        data: {
          sessionsDeleted: deleted.sessions,
          apiTokensDeleted: deleted.apiTokens,
          securityEventsDeleted: deleted.securityEvents,
          rateLimitKeysDeleted: deleted.rateLimitKeys,
          loginContextsDeleted: deleted.loginContexts,
          reauthCodesDeleted: deleted.reauthCodes,
          durationMs,
        },
      });
      logger.info({ deleted, durationMs }, 'security data past its retention deleted');
      return deleted;
    },
  };
}
