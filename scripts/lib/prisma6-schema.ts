// Prisma 7 refuses a `url` in the schema's datasource block; the Prisma 6.19.3 CLI, which runs
// the migrations offline (prisma6.config.ts), requires one. It reads a copy of
// prisma/schema.prisma with the url put back, kept in the temporary directory (writable in the
// Docker image too) and replaced atomically, so concurrent migrations never read half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PRISMA6_SCHEMA = path.join(os.tmpdir(), 'sotally-prisma6', 'schema.prisma');

/** The schema text with `url = env("DATABASE_URL")` in its datasource block (unchanged if it has one). */
export function withDatasourceUrl(schema: string): string {
  if (/datasource db \{[^}]*\burl\s*=/.test(schema)) return schema;
  const withUrl = schema.replace(/(datasource db \{\s*provider\s*=\s*"postgresql")/, '$1\n  url = env("DATABASE_URL")');
  if (withUrl === schema) throw new Error('prisma/schema.prisma: no `datasource db { provider = "postgresql"` block to add the url to');
  return withUrl;
}

/** Writes PRISMA6_SCHEMA from `schemaFile` and returns its path. */
export function writePrisma6Schema(schemaFile: string): string {
  mkdirSync(path.dirname(PRISMA6_SCHEMA), { recursive: true });
  const partial = `${PRISMA6_SCHEMA}.${process.pid}.${Date.now()}`;
  writeFileSync(partial, withDatasourceUrl(readFileSync(schemaFile, 'utf8')));
  renameSync(partial, PRISMA6_SCHEMA);
  return PRISMA6_SCHEMA;
}
