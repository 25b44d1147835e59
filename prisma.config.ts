// Prisma CLI configuration. Migrations run through the `pg` driver adapter and
// Prisma's WASM schema engine, so no native engine is downloaded: this works
// offline as well as on a normal laptop (`npx prisma migrate deploy`).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// These two variables only stop Prisma from downloading native engines that
// the adapter setup never uses; any existing file will do.
for (const name of ['PRISMA_QUERY_ENGINE_LIBRARY', 'PRISMA_SCHEMA_ENGINE_BINARY']) {
  if (!process.env[name] || !existsSync(process.env[name] as string)) {
    process.env[name] = path.join(__dirname, 'prisma.config.ts');
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL must be set to run migrations');
    return new PrismaPg({ connectionString });
  },
});
