import { PrismaClient } from '@prisma/client';
import { PrismaPg } from '@prisma/adapter-pg';

/**
 * A Prisma client over a pooled `pg` connection (Prisma's Rust-free client with the pg driver adapter).
 * A connection that cannot be had within 5 s fails (the API answers 503) instead of waiting forever.
 * TLS comes from the URL: pg parses `connectionString` for each connection and honours `sslmode`,
 * `sslrootcert`, `sslcert` and `sslkey` (the URL's settings win over these options), as a raw
 * `new pg.Client({ connectionString })` does. Use `sslmode=verify-full` (docs/DEVELOPMENT.md,
 * "Postgres over TLS"; test/db/sslmode.test.ts).
 */
export function createPrisma(databaseUrl: string, poolSize = 10): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: poolSize, connectionTimeoutMillis: 5_000 }) });
}
