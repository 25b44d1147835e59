// Writes one user's export as JSON text, in pieces, in bounded memory: each table
// of the plan (./plan.ts, from the register) is read a page at a time by keyset on
// its primary key, encrypted columns are decrypted with the user's data key,
// masked ones replaced, excluded ones never read, and every row is handed to
// `emit` as soon as it is serialized. Rows whose retention (the register's
// `timed` rule) has run out are left out: they are due for deletion.
import { Prisma, type PrismaClient } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
import { KeyringError } from '../crypto/keyring';
import { parseDuration } from '../duration';
import { ownerCondition, PERSONAL_DATA, sqlIdentifier, type PersonalTable } from '../privacy/register';
import { EXPORT_FORMAT_VERSION, exportPlan, type ExportedTable } from './plan';

export interface WriteExportOptions {
  userId: string;
  requestId: string;
  exportedAt: Date;
  /** Rows read per query (default 500). */
  pageSize?: number;
  /** Called after each page (the activity heartbeats here). */
  onPage?: () => void;
}

export interface ExportSummary {
  rows: Record<string, number>;
  /** Encrypted values no key opened (written as null); 0 in a healthy system. */
  unreadableValues: number;
}

interface ColumnInfo {
  type: string;
  /** Position in the primary key (1-based), or null. */
  pk: number | null;
}

const sqlType = (type: string) => {
  if (!/^[a-z0-9 _(),"[\]]+$/i.test(type)) throw new Error(`unexpected column type: ${type}`);
  return Prisma.raw(type);
};

/** Column types and primary keys of the tables to export, from the catalog. */
async function readCatalog(prisma: PrismaClient, tables: string[]): Promise<Map<string, Map<string, ColumnInfo>>> {
  const rows = await prisma.$queryRaw<{ table_name: string; column_name: string; type: string; pk: number | null }[]>`
    SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS type,
           array_position(i.indkey::int2[], a.attnum)::int AS pk
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY(${tables}::text[])`;
  const catalog = new Map<string, Map<string, ColumnInfo>>();
  for (const r of rows) {
    if (!catalog.has(r.table_name)) catalog.set(r.table_name, new Map());
    catalog.get(r.table_name)?.set(r.column_name, { type: r.type, pk: r.pk });
  }
  return catalog;
}

/** A column as the file shows it: timestamps in ISO-8601 UTC, bytes (the ciphertexts) as base64, the rest as JSON. */
function selectValue(column: string, type: string): Prisma.Sql {
  const c = sqlIdentifier(column);
  if (type === 'timestamp with time zone') return Prisma.sql`to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  if (type === 'bytea') return Prisma.sql`encode(${c}, 'base64')`;
  return c;
}

/** Rows still within the table's retention: a `timed` table's rows past their deadline are due for deletion. */
function withinRetention(entry: PersonalTable, now: Date): Prisma.Sql {
  const retention = entry.retention;
  if (retention.kind !== 'timed') return Prisma.sql`TRUE`;
  const cutoff = new Date(now.getTime() - (retention.after ? parseDuration(retention.after) : 0));
  return Prisma.sql`(${sqlIdentifier(retention.from)} IS NULL OR ${sqlIdentifier(retention.from)} > ${cutoff.toISOString()}::timestamptz)`;
}

interface PageRow {
  row: Record<string, unknown>;
  keys: Record<string, string>;
}

/** Every row of one table that belongs to the user, a page at a time, in primary-key order. */
async function* tablePages(prisma: PrismaClient, plan: ExportedTable, info: Map<string, ColumnInfo>, userId: string, now: Date, pageSize: number): AsyncGenerator<PageRow[]> {
  const entry: PersonalTable = PERSONAL_DATA[plan.table];
  const owner = ownerCondition(plan.table, userId);
  if (!owner) return;
  const pk = [...info.entries()].filter(([, c]) => c.pk !== null).sort(([, a], [, b]) => (a.pk as number) - (b.pk as number)).map(([name]) => name);
  if (pk.length === 0) throw new Error(`${plan.table} has no primary key to page by`);
  const keyColumns = [...new Set([...pk, ...plan.columns.flatMap((c) => (c.encrypted ? [c.encrypted.idColumn] : []))])];
  const typeOf = (column: string) => {
    const type = info.get(column)?.type;
    if (!type) throw new Error(`${plan.table}.${column} is in the register but not in the database`);
    return type;
  };
  const rowJson = Prisma.join(plan.columns.map((c) => Prisma.sql`${c.column}::text, ${selectValue(c.column, typeOf(c.column))}`));
  const keysJson = Prisma.join(keyColumns.map((k) => Prisma.sql`${k}::text, ${sqlIdentifier(k)}::text`));
  const order = Prisma.join(pk.map(sqlIdentifier));
  let after: string[] | undefined;
  for (;;) {
    const keyset = after
      ? Prisma.sql`(${order}) > (${Prisma.join(pk.map((k, i) => Prisma.sql`${after?.[i]}::${sqlType(typeOf(k))}`))})`
      : Prisma.sql`TRUE`;
    const rows = await prisma.$queryRaw<PageRow[]>`
      SELECT json_build_object(${rowJson}) AS row, json_build_object(${keysJson}) AS keys
        FROM ${sqlIdentifier(plan.table)}
       WHERE ${owner} AND ${withinRetention(entry, now)} AND ${keyset}
       ORDER BY ${order}
       LIMIT ${pageSize}`;
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as PageRow;
    after = pk.map((k) => last.keys[k] as string);
  }
}

/**
 * Writes the export of `userId` to `emit`, piece by piece; resolves with what it wrote.
 * `emit` is awaited, so a slow sink (encrypting and storing chunks) holds the reading back.
 */
export async function writeExportFile(
  prisma: PrismaClient,
  dataKeys: DataKeys,
  options: WriteExportOptions,
  emit: (text: string) => Promise<void>,
): Promise<ExportSummary> {
  const { userId, requestId, exportedAt } = options;
  const pageSize = options.pageSize ?? 500;
  const plan = exportPlan();
  const catalog = await readCatalog(prisma, plan.tables.map((t) => t.table));
  const summary: ExportSummary = { rows: {}, unreadableValues: 0 };
  const json = (value: unknown) => JSON.stringify(value);

  await emit(`{"formatVersion":${EXPORT_FORMAT_VERSION},"exportedAt":${json(exportedAt.toISOString())},"requestId":${json(requestId)},"userId":${json(userId)},"tables":{`);
  let firstTable = true;
  for (const table of plan.tables) {
    const head = { category: table.category, holds: table.holds, excluded: table.excluded, masked: table.masked };
    await emit(`${firstTable ? '' : ','}${json(table.table)}:${json(head).slice(0, -1)},"rows":[`);
    firstTable = false;
    let count = 0;
    for await (const page of tablePages(prisma, table, catalog.get(table.table) ?? new Map(), userId, exportedAt, pageSize)) {
      const pieces: string[] = [];
      for (const { row, keys } of page) {
        const out: Record<string, unknown> = {};
        for (const c of table.columns) {
          const value = row[c.column] ?? null;
          if (c.maskedAs !== undefined) out[c.name] = value === null ? null : c.maskedAs;
          else if (c.encrypted && typeof value === 'string') {
            try {
              const plain = await dataKeys.open(c.encrypted, keys[c.encrypted.idColumn] as string, userId, Buffer.from(value, 'base64'));
              out[c.name] = c.encrypted.plaintext === 'json' ? JSON.parse(plain) : plain;
            } catch (err) {
              if (!(err instanceof KeyringError)) throw err;
              summary.unreadableValues += 1;
              out[c.name] = null;
            }
          } else out[c.name] = value;
        }
        pieces.push(`${count === 0 ? '' : ','}${json(out)}`);
        count += 1;
      }
      await emit(pieces.join(''));
      options.onPage?.();
    }
    summary.rows[table.table] = count;
    await emit(']}');
  }
  await emit(`},"notIncluded":${json(plan.notIncluded)},"summary":${json(summary)}}`);
  return summary;
}
