// The worker's activity entry point: every side effect of a workflow, built by
// each feature's factory from the dependencies it needs (the samples'
// dependency-injection pattern). Workflows import only the *type* of this.
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { Keyring } from '../crypto/keyring';
import { createDataKeys } from '../crypto/data-keys';
import type { Logger } from '../logger';
import { createLedger } from '../credits/ledger';
import { createCreditActivities } from '../credits/activities';
import { createExecutionActivities } from '../executions/activities';
import { createRetentionActivities } from '../retention/activities';
import { createSecurityDataActivities } from '../security-data/activities';
import { createMailActivities, createOutbox } from '../mail/activities';
import { createIncidentActivities } from '../incidents/activities';
import { createAnalyticsActivities } from '../analytics/activities';
import { createErasureActivities } from '../erasure/activities';
import type { Client } from '@temporalio/client';
import { createExportActivities } from '../data-export/activities';

export interface ActivityDeps {
  config: Config;
  prisma: PrismaClient;
  keyring: Keyring;
  logger: Logger;
  /** For activities that act on other workflows (erasure cancels runs and ends their retention timers). */
  temporal: Client;
}

export function createActivities(deps: ActivityDeps) {
  const ledger = createLedger(deps.prisma, { reservationTtlMs: deps.config.RESERVATION_TTL });
  const dataKeys = createDataKeys(deps.prisma, deps.keyring, deps.config);
  return {
    ...createCreditActivities(ledger),
    ...createExecutionActivities({ ...deps, ledger, dataKeys }),
    ...createRetentionActivities(deps),
    ...createSecurityDataActivities(deps),
    ...createMailActivities({ ...deps, dataKeys }),
    ...createErasureActivities({ ...deps, dataKeys, ledger }),
    ...createExportActivities({ ...deps, dataKeys }),
    ...createAnalyticsActivities(deps),
    ...createIncidentActivities({ ...deps, dataKeys, mail: createOutbox({ ...deps, dataKeys }) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
