import pg from 'pg';
import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

const pools = new WeakMap<PrismaClient, pg.Pool>();

/**
 * A Prisma client over a pooled `pg` connection (Prisma's Rust-free client with the pg driver adapter).
 * A connection that cannot be had within 5 s fails (the API answers 503) instead of waiting forever.
 * TLS comes from the URL: pg parses `connectionString` for each connection and honours `sslmode`,
 * `sslrootcert`, `sslcert` and `sslkey` (the URL's settings win over these options), as a raw
 * `new pg.Client({ connectionString })` does. Use `sslmode=verify-full` (docs/DEVELOPMENT.md,
 * "Postgres over TLS"; test/db/sslmode.test.ts).
 */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000 });
  // An idle connection the server closed: the pool drops it and opens another when needed. Without
  // a listener Node would treat the event as an uncaught error.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(prisma, pool);
  return prisma;
}

/**
 * The `pg` pool under a client made by `createPrisma`, for the few statements every request
 * runs (authentication): as prepared statements they skip Prisma's query compiler, which costs
 * about six times as much CPU as the statement itself (docs/BENCHMARKS.md, "API reads").
 */
export function sqlPool(prisma: PrismaClient): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('sqlPool: this Prisma client was not made by createPrisma');
  return pool;
}

/**
 * Runs `fn` in one transaction on one connection of the pool under a client made by `createPrisma`,
 * for hot paths written as prepared statements (a run's admission). A statement that waits for a row
 * lock longer than `lockTimeoutMs` fails with 55P03 (the API answers 503: retry), so a burst of
 * requests queued on one row cannot hold connections forever.
 */
export async function sqlTransaction<T>(prisma: PrismaClient, fn: (client: pg.PoolClient) => Promise<T>, lockTimeoutMs = 10_000): Promise<T> {
  const client = await sqlPool(prisma).connect();
  try {
    await client.query(`BEGIN; SET LOCAL lock_timeout = ${Math.floor(lockTimeoutMs)}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
