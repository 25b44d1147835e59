// Activities: every side effect of a workflow lives here, built by a factory
// that receives its dependencies (the samples' dependency-injection pattern).
// Workflows import only the *type* of what this returns.
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { Keyring } from '../crypto/keyring';
import type { Logger } from '../logger';
import { createLedger } from '../credits/ledger';
import { createCreditActivities } from './credits';
import { createExecutionActivities } from './executions';
import { createRetentionActivities } from './retention';

export interface ActivityDeps {
  config: Config;
  prisma: PrismaClient;
  keyring: Keyring;
  logger: Logger;
}

export function createActivities(deps: ActivityDeps) {
  const ledger = createLedger(deps.prisma, { reservationTtlMs: deps.config.RESERVATION_TTL });
  return {
    ...createCreditActivities(ledger),
    ...createExecutionActivities(deps),
    ...createRetentionActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
