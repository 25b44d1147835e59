// Migrations only: the Prisma 6.19.3 CLI (npm alias `prisma6`), whose WASM schema engine
// runs offline through the pg adapter. Prisma 7's CLI generates the client (prisma.config.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma6/config';
import { PrismaPg } from '@prisma/adapter-pg';
import { writePrisma6Schema } from './scripts/lib/prisma6-schema';

for (const name of ['PRISMA_QUERY_ENGINE_LIBRARY', 'PRISMA_SCHEMA_ENGINE_BINARY']) {
  if (!process.env[name] || !existsSync(process.env[name] as string)) {
    process.env[name] = path.join(__dirname, 'prisma6.config.ts');
  }
}

// Prisma 7 refuses `url` in the schema's datasource block; Prisma 6 requires it: the 6.x CLI
// reads a copy of prisma/schema.prisma with the url put back.
const schemaCopy = writePrisma6Schema(path.join(__dirname, 'prisma', 'schema.prisma'));

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: schemaCopy,
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const connectionString = process.env.DATABASE_URL;
    if (!connectionString) throw new Error('DATABASE_URL must be set to run migrations');
    return new PrismaPg({ connectionString });
  },
});
