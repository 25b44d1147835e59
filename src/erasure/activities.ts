// The erasure workflow's activities: its steps (./steps.ts) with the worker's dependencies.
import { Context } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import type { Ledger } from '../credits/ledger';
import type { Logger } from '../logger';
import { createProfiles } from '../accounts/profile';
import { parseEmailIndexKey } from '../accounts/email-index';
import { createMailService } from '../mail/service';
import { createTransport } from '../mail/transport';
import { createPrivacyRequests } from '../privacy/requests';
import { createErasureSteps } from './steps';
import type { ErasureCounts } from './contract';

export function createErasureActivities(deps: { prisma: PrismaClient; config: Config; logger: Logger; dataKeys: DataKeys; ledger: Ledger; temporal: Client }) {
  const { prisma, config, logger, dataKeys } = deps;
  const steps = createErasureSteps({
    prisma,
    dataKeys,
    ledger: deps.ledger,
    mail: createMailService({ prisma, dataKeys, transport: createTransport(config.SMTP_URL), from: config.MAIL_FROM }),
    profiles: createProfiles(prisma, dataKeys, parseEmailIndexKey(config.EMAIL_INDEX_KEY)),
    requests: createPrivacyRequests(prisma, { deadlineMs: config.PRIVACY_REQUEST_DEADLINE }),
    temporal: deps.temporal,
    heartbeat: (detail) => Context.current().heartbeat(detail),
  });
  return {
    beginErasure: (requestId: string) => steps.begin(requestId),
    stopUserExecutions: (requestId: string) => steps.stopExecutions(requestId),
    destroyUserDataKey: (requestId: string) => steps.destroyDataKey(requestId),
    async eraseUserData(requestId: string): Promise<ErasureCounts> {
      const counts = await steps.eraseData(requestId);
      logger.info({ requestId, counts }, 'erasure: personal data erased');
      return counts;
    },
    deleteUserAccount: (requestId: string) => steps.deleteAccount(requestId),
    sendErasureConfirmation: (requestId: string) => steps.sendConfirmation(requestId),
    completeErasure: (requestId: string, counts: ErasureCounts) => steps.complete(requestId, counts),
    async alertDpoErasureAtRisk(requestId: string): Promise<number> {
      const alerted = await steps.alertDpo(requestId);
      logger.warn({ requestId, alerted }, 'erasure at risk: a step still fails at the warning point; DPO alerted');
      return alerted;
    },
  };
}
