// Configuration and dependencies for tests: the real Postgres and Temporal
// started by global-setup, fresh secrets, and captured log lines.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { PrismaClient } from '@prisma/client';
import { loadConfig, type Config } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { createLogger, type Logger } from '../../src/logger';
import { createPrisma } from '../../src/db';
import { dropDatabase, ensureDatabase, migrateDatabase } from '../../scripts/lib/dev-services';

// One set of secrets for the whole run, made by global-setup: every test file and
// every API or worker process reads the same database, as replicas of one
// deployment do, so each can open what another sealed (the demo tool seeded by
// one file, run by the fuzzer in another). Outside jest (a script importing
// this), fresh ones.
export const TEST_KEYS = process.env.SOTALLY_TEST_KEYS ?? `${Keyring.generateSpec('v2')},${Keyring.generateSpec('v1')}`;
/** The email blind-index key of the run (operator commands read it from the environment, as in production). */
export const TEST_EMAIL_INDEX_KEY = process.env.SOTALLY_TEST_EMAIL_INDEX_KEY ?? randomBytes(32).toString('base64');
process.env.EMAIL_INDEX_KEY = TEST_EMAIL_INDEX_KEY;
export const TEST_RATE_LIMIT_KEY_SECRET = process.env.SOTALLY_TEST_RATE_LIMIT_KEY_SECRET ?? randomBytes(32).toString('base64');

export function testConfig(overrides: Record<string, string> = {}): Config {
  const databaseUrl = process.env.SOTALLY_TEST_DATABASE_URL;
  const temporalAddress = process.env.SOTALLY_TEST_TEMPORAL_ADDRESS;
  if (!databaseUrl || !temporalAddress) throw new Error('global-setup did not run');
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '5',
    TEMPORAL_ADDRESS: temporalAddress,
    DATA_ENCRYPTION_KEYS: TEST_KEYS,
    EMAIL_INDEX_KEY: TEST_EMAIL_INDEX_KEY,
    RATE_LIMIT_KEY_SECRET: TEST_RATE_LIMIT_KEY_SECRET,
    // The same scrypt KDF, at a cost that keeps the suite quick.
    PASSWORD_COST_LOG2: '14',
    AUTH_RATE_LIMIT_MAX: '10000',
    // Authentication's memory is off by default here: a test that changes a role or a session
    // straight in Postgres would otherwise race the change's announcement to the API (which
    // production accepts: milliseconds). test/api/credential-cache.test.ts turns it on and
    // tests those announcements themselves.
    AUTH_CACHE_SIZE: '0',
    // The same for the public tool list's memory (tests that write tools straight into Postgres);
    // test/api/tool-list-cache.test.ts turns it on.
    TOOL_LIST_CACHE_SIZE: '0',
    LOG_LEVEL: 'info',
    ...overrides,
  });
}

/** A logger whose JSON lines are kept in memory, so tests can assert what was (not) logged. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(level, stream), lines };
}

let sharedPrisma: PrismaClient | undefined;
/** One Prisma client per test file for direct database assertions. */
export function testPrisma(): PrismaClient {
  sharedPrisma ??= createPrisma(testConfig().DATABASE_URL, 3);
  return sharedPrisma;
}

export async function closeTestPrisma(): Promise<void> {
  await sharedPrisma?.$disconnect();
  sharedPrisma = undefined;
}

let counter = 0;
/** A unique email per call, so tests running in parallel never collide. */
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.test`;
}

/**
 * A freshly migrated database of its own, on the same server as the shared
 * one, for a test that acts on every row of a table (key rotation, sweeps):
 * it must not touch what tests running beside it wrote.
 */
export async function isolatedDatabase(name: string): Promise<{ prisma: PrismaClient; url: string; close(): Promise<void> }> {
  const shared = process.env.SOTALLY_TEST_DATABASE_URL;
  if (!shared) throw new Error('global-setup did not run');
  const dbName = `${name}_${process.pid}`;
  const url = await ensureDatabase(shared, dbName, { recreate: true });
  migrateDatabase(url);
  const prisma = createPrisma(url, 3);
  const close = async () => {
    await prisma.$disconnect();
    await dropDatabase(shared, dbName);
  };
  return { prisma, url, close };
}
