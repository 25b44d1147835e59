import type { PrismaClient } from '@prisma/client';
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Keyring } from '../crypto/keyring';
import type { Logger } from '../logger';
import type { CredentialCache } from './credential-cache';
import type { ToolListCache } from '../tools/list-cache';

/** Everything the API needs from the outside world, built once in server.ts (or by a test). */
export interface ApiDeps {
  config: Config;
  logger: Logger;
  prisma: PrismaClient;
  keyring: Keyring;
  temporal: Client;
  metricsRegistry: Registry;
  /** Authentication's short memory (AUTH_CACHE_TTL); without it every request reads its credential from Postgres. */
  credentials?: CredentialCache;
  /** The public tool list's memory for anonymous visitors (TOOL_LIST_CACHE_TTL); without it every list reads Postgres. */
  toolList?: ToolListCache;
}
