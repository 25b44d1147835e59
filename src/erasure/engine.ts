// The register-driven part of erasure: for every table of the register of
// personal data (src/privacy/register.ts), the user's rows are deleted when
// every column says `delete`, or else kept with each column treated by its
// rule: `pseudonymize` → the account's pseudonym, `blank` → NULL ('' or '{}'
// where the column cannot be NULL), `keep` → untouched. A table added to the
// register is erased without a change here. Two tables are not handled here:
// `users` (the account row, deleted last, after the confirmation address was
// captured) and `erasure_requests` (the erasure's own record).
import { Prisma } from '@prisma/client';
import { columnPolicy, erasureOfRows, ownerCondition, personalTables, sqlIdentifier, type PersonalTableName } from '../privacy/register';
import type { ErasureCounts } from './contract';

/** Tables the erasure handles in its own steps. */
const OWN_STEPS = new Set<string>(['users', 'erasure_requests']);

interface ColumnInfo {
  nullable: boolean;
  type: string;
}

async function columnsOf(tx: Prisma.TransactionClient, table: string): Promise<Map<string, ColumnInfo>> {
  const rows = await tx.$queryRaw<{ column_name: string; is_nullable: string; data_type: string }[]>`
    SELECT column_name, is_nullable, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table}`;
  return new Map(rows.map((r) => [r.column_name, { nullable: r.is_nullable === 'YES', type: r.data_type }]));
}

function blankValue(column: string, info: ColumnInfo | undefined): Prisma.Sql {
  if (!info || info.nullable) return Prisma.sql`NULL`;
  if (info.type === 'jsonb' || info.type === 'json') return Prisma.sql`'{}'::jsonb`;
  if (info.type === 'text' || info.type.startsWith('character')) return Prisma.sql`''`;
  throw new Error(`cannot blank ${column}: NOT NULL ${info.type}`);
}

/**
 * Erases the user's rows in every registered table, in the caller's transaction, and says how
 * many rows each table lost or had changed. Tables whose owner is found through another table are
 * done first, while that table still names the user. The ledger's append-only trigger lets this
 * transaction change account_id (and nothing else) through the `sotally.pseudonymize` setting.
 */
export async function eraseRegisteredData(tx: Prisma.TransactionClient, userId: string, pseudonym: string): Promise<ErasureCounts> {
  await tx.$executeRaw`SELECT set_config('sotally.pseudonymize', 'on', true)`;
  const counts: ErasureCounts = {};
  const tables = personalTables()
    .filter(([name]) => !OWN_STEPS.has(name))
    .sort(([, a], [, b]) => Number('via' in b.owner) - Number('via' in a.owner));
  for (const [table, entry] of tables) {
    const where = ownerCondition(table as PersonalTableName, userId);
    if (!where) continue; // rows that cannot be attributed to anyone (e.g. rate-limit keys)
    if (erasureOfRows(table) === 'delete') {
      const deleted = await tx.$executeRaw`DELETE FROM ${sqlIdentifier(table)} WHERE ${where}`;
      if (deleted) counts[table] = { deleted };
      continue;
    }
    const info = await columnsOf(tx, table);
    const assignments: Prisma.Sql[] = [];
    for (const column of Object.keys(entry.columns)) {
      const rule = columnPolicy(table, column).erasure;
      if (rule.action === 'pseudonymize') assignments.push(Prisma.sql`${sqlIdentifier(column)} = ${pseudonym}::uuid`);
      else if (rule.action === 'blank') assignments.push(Prisma.sql`${sqlIdentifier(column)} = ${blankValue(column, info.get(column))}`);
      else if (rule.action === 'delete') throw new Error(`${table}.${column} says delete in a table whose rows are kept: the register must say blank`);
    }
    if (assignments.length === 0) continue;
    const updated = await tx.$executeRaw`UPDATE ${sqlIdentifier(table)} SET ${Prisma.join(assignments, ', ')} WHERE ${where}`;
    if (updated) counts[table] = { updated };
  }
  return counts;
}
