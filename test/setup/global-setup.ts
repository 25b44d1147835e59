// Jest global setup: one real Postgres database and one real Temporal dev
// server for the whole run. Tests read their addresses from the environment.
//   Postgres: TEST_DATABASE_URL or DATABASE_URL names a server to use (a fresh
//   database `sotally_test` is created on it); otherwise an embedded Postgres
//   is started under .data/test-postgres.
//   Temporal: a dev server from the pinned PyPI binary on a free port.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Keyring } from '../../src/crypto/keyring';
import {
  ensureDatabase,
  freePort,
  migrateDatabase,
  startEmbeddedPostgres,
  startTemporalDevServer,
  type EmbeddedPostgresHandle,
  type TemporalDevServer,
} from '../../scripts/lib/dev-services';
import { ROOT } from '../../scripts/lib/temporal-binaries';

declare global {
  var __SOTALLY_SERVICES__: { temporal: TemporalDevServer; postgres?: EmbeddedPostgresHandle } | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  let postgres: EmbeddedPostgresHandle | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const [temporalPort, pgPort] = await Promise.all([freePort(), freePort()]);
  const temporalPromise = startTemporalDevServer({ port: temporalPort, headless: true });
  let databaseUrl: string;
  try {
    if (!adminUrl) {
      postgres = await startEmbeddedPostgres({ dataDir: path.join(ROOT, '.data', 'test-postgres'), port: pgPort });
      adminUrl = postgres.adminUrl;
    }
    // SOTALLY_TEST_DB_NAME lets two runs share one Postgres server without dropping each other's database.
    databaseUrl = await ensureDatabase(adminUrl, process.env.SOTALLY_TEST_DB_NAME ?? 'sotally_test', { recreate: true });
    migrateDatabase(databaseUrl);
  } catch (err) {
    // Leave no orphans behind when set-up fails half-way.
    await temporalPromise.then((t) => t.stop(), () => undefined);
    await postgres?.stop();
    throw err;
  }
  const temporal = await temporalPromise;

  // Should jest end without its teardown (interrupted, crashed), take the servers down with it.
  process.once('exit', () => {
    if (temporal.child.exitCode === null) temporal.child.kill('SIGKILL');
    if (postgres?.process && postgres.process.exitCode === null) postgres.process.kill('SIGINT');
  });
  process.env.SOTALLY_TEST_DATABASE_URL = databaseUrl;
  // The run's secrets, shared by every test file (see test/helpers/env.ts).
  process.env.SOTALLY_TEST_KEYS = `${Keyring.generateSpec('v2')},${Keyring.generateSpec('v1')}`;
  process.env.SOTALLY_TEST_EMAIL_INDEX_KEY = randomBytes(32).toString('base64');
  process.env.SOTALLY_TEST_RATE_LIMIT_KEY_SECRET = randomBytes(32).toString('base64');
  process.env.SOTALLY_TEST_TEMPORAL_ADDRESS = temporal.address;
  globalThis.__SOTALLY_SERVICES__ = { temporal, postgres };
  console.log(`\n[setup] Postgres ${postgres ? 'embedded' : 'given'}, Temporal dev server at ${temporal.address} (${Date.now() - started} ms)`);
}
