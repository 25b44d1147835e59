// Drift check without a shadow database: the committed migrations (applied to
// sotally_test by global setup) must build exactly the schema that
// prisma/schema.prisma describes (applied from empty to a second database).
import { Client } from 'pg';
import { ensureDatabase, schemaDiff } from '../../scripts/lib/dev-services';
import { testConfig } from '../helpers/env';

async function catalog(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const queries = [
      `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name || ' null=' || is_nullable || ' default=' || coalesce(column_default, '')
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      `SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
      `SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
         FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'c' AND conrelid::regclass::text <> '_prisma_migrations'`,
      `SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    ];
    const lines: string[] = [];
    for (const sql of queries) lines.push(...(await client.query<{ '?column?': string }>(sql)).rows.map((r) => Object.values(r)[0] as string));
    return lines.sort();
  } finally {
    await client.end();
  }
}

it('the committed migrations build exactly the schema in prisma/schema.prisma', async () => {
  const migrated = testConfig().DATABASE_URL;
  const admin = new URL(migrated);
  admin.pathname = '/postgres';
  const fromSchema = await ensureDatabase(admin.toString(), 'sotally_drift_check', { recreate: true });
  const sql = schemaDiff(['--from-empty'], fromSchema);
  const client = new Client({ connectionString: fromSchema });
  await client.connect();
  await client.query(sql);
  await client.end();

  const [a, b] = await Promise.all([catalog(migrated), catalog(fromSchema)]);
  expect(a.length).toBeGreaterThan(20);
  expect(a).toEqual(b);
});
