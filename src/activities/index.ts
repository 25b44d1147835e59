// Activities: every side effect of a workflow lives here, built by a factory
// that receives its dependencies (the samples' dependency-injection pattern).
// Workflows import only the *type* of what this returns.
import type { PrismaClient } from '@prisma/client';
import type { Keyring } from '../crypto/keyring';
import type { Logger } from '../logger';

export interface ActivityDeps {
  prisma: PrismaClient;
  keyring: Keyring;
  logger: Logger;
}

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
