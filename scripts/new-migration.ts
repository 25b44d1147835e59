// Writes a new migration from the change to prisma/schema.prisma, offline.
//   npm run db:new-migration -- add_ledger            (diff against the schema at HEAD)
//   npm run db:new-migration -- add_ledger <git-ref>  (diff against the schema at <git-ref>)
// Prisma's `migrate dev` needs a shadow database its offline engine cannot use,
// so this diffs two datamodels instead; test/db/migrations.test.ts then proves
// that the migrations, applied in order, build exactly the schema.
import { execFileSync } from 'node:child_process';
import { schemaDiff } from './lib/dev-services';
import { withDatasourceUrl } from './lib/prisma6-schema';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './lib/temporal-binaries';

const [name, ref = 'HEAD'] = process.argv.slice(2);
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:new-migration -- <snake_case_name> [git-ref]');
  process.exit(2);
}
if (!process.env.DATABASE_URL) {
  console.error('set DATABASE_URL to any reachable Postgres (Prisma connects through its adapter even to diff two files)');
  process.exit(2);
}
const previous = path.join(mkdtempSync(path.join(os.tmpdir(), 'sotally-schema-')), 'schema.prisma');
// Through the Prisma 6 CLI, which needs the datasource url that Prisma 7's schema leaves out.
writeFileSync(previous, withDatasourceUrl(execFileSync('git', ['show', `${ref}:prisma/schema.prisma`], { cwd: ROOT, encoding: 'utf8' })));
const sql = schemaDiff(['--from-schema-datamodel', previous], process.env.DATABASE_URL);
if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
  console.log('prisma/schema.prisma has not changed: no migration written.');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join(ROOT, 'prisma', 'migrations', `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'migration.sql'), sql);
console.log(`wrote ${path.relative(ROOT, dir)}/migration.sql`);
