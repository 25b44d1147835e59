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
