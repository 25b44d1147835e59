// Prisma 7 CLI configuration: used for `prisma generate` only. Migrations run through the
// Prisma 6.19.3 CLI (npm alias `prisma6`, prisma6.config.ts), whose WASM schema engine works offline.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'prisma/config';

// Only stops Prisma from downloading the native schema engine, which `generate` never runs.
if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(process.env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.join(__dirname, 'prisma.config.ts');
}

export default defineConfig({
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
});
