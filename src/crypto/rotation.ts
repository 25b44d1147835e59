// Key rotation and the backfill, over the registry of encrypted columns (./columns).
//
// Rotation: prepending a new key to DATA_ENCRYPTION_KEYS makes it wrap every
// new data key while the old keys still unwrap old ones; `rotateKeys` re-wraps
// the old ones (user_keys.wrapped_key, 32 bytes per user) so an old key can
// then be removed. The data itself, sealed under per-user data keys, is not
// touched: rotation costs one small row per user, whatever the data volume.
//
// Backfill: values written before per-user keys are sealed under the keyring
// directly (blob format 1), and profiles from before profile encryption are in
// clear columns. `backfill` moves the first under their owner's data key and
// seals the second, emptying the clear columns.
//
// Both walk by primary key in batches (bounded memory; resumable: a run that
// stops half-way is simply run again), and every write is a compare-and-swap on
// the value it read, so a value changed meanwhile is left alone. A value no
// configured key opens is counted, never overwritten.
import { Prisma, type PrismaClient } from '@prisma/client';
import { createProfiles } from '../accounts/profile';
import { ENCRYPTED_COLUMNS, type EncryptedColumn, type EncryptedColumnName } from './columns';
import type { DataKeys } from './data-keys';
import type { Keyring } from './keyring';

export interface ColumnRotation {
  reencrypted: number;
  /** Values no configured key could open (left as they are). */
  unreadable: number;
}

const FIRST_UUID = '00000000-0000-0000-0000-000000000000';
const entries = () => Object.entries(ENCRYPTED_COLUMNS) as [EncryptedColumnName, EncryptedColumn][];

/** Format-1 blobs (sealed directly under a keyring key) and the key id in their header, computed by Postgres (layout in ./keyring). */
const isKeyringBlob = (column: EncryptedColumn) => Prisma.sql`get_byte(${Prisma.raw(column.column)}, 0) = 1`;
const keyIdSql = (column: EncryptedColumn) =>
  Prisma.sql`convert_from(substring(${Prisma.raw(column.column)} from 3 for get_byte(${Prisma.raw(column.column)}, 1)), 'UTF8')`;

/**
 * How many values of each registered column each keyring key id encrypts;
 * values under their owner's data key are counted as "data key".
 */
export async function keyUsage(prisma: PrismaClient): Promise<Record<EncryptedColumnName, Record<string, number>>> {
  const usage = {} as Record<EncryptedColumnName, Record<string, number>>;
  for (const [name, column] of entries()) {
    const rows = await prisma.$queryRaw<{ key_id: string; values: bigint }[]>`
      SELECT CASE WHEN ${isKeyringBlob(column)} THEN ${keyIdSql(column)} ELSE 'data key' END AS key_id, count(*) AS values
        FROM ${Prisma.raw(column.table)} WHERE ${Prisma.raw(column.column)} IS NOT NULL GROUP BY 1 ORDER BY 1`;
    usage[name] = Object.fromEntries(rows.map((r) => [r.key_id, Number(r.values)]));
  }
  return usage;
}

interface BlobRow {
  id: string;
  owner: string;
  blob: string;
}

/** Walks a column's format-1 values matching `where`, in primary-key order, one batch at a time. */
async function* keyringBlobs(prisma: PrismaClient, column: EncryptedColumn, where: Prisma.Sql, batchSize: number): AsyncGenerator<BlobRow[]> {
  const [table, value, id, owner] = [column.table, column.column, column.idColumn, column.ownerColumn].map((n) => Prisma.raw(n)) as Prisma.Sql[];
  let after = FIRST_UUID;
  for (;;) {
    // Bytes travel as base64 text: the raw-query path of Prisma's driver adapter does not carry bytea.
    const rows = await prisma.$queryRaw<BlobRow[]>`
      SELECT ${id}::text AS id, ${owner}::text AS owner, encode(${value}, 'base64') AS blob FROM ${table}
       WHERE ${value} IS NOT NULL AND ${isKeyringBlob(column)} AND ${where} AND ${id} > ${after}::uuid
       ORDER BY ${id} LIMIT ${batchSize}`;
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    after = (rows[rows.length - 1] as BlobRow).id;
  }
}

/** Replaces each value with `fresh(row)` if it is still the one read; the batch commits together. */
async function swapAll(prisma: PrismaClient, column: EncryptedColumn, swaps: { row: BlobRow; fresh: Uint8Array }[]): Promise<number> {
  const [table, value, id] = [column.table, column.column, column.idColumn].map((n) => Prisma.raw(n)) as Prisma.Sql[];
  const counts = await prisma.$transaction(
    swaps.map(
      ({ row, fresh }) => prisma.$executeRaw`
        UPDATE ${table} SET ${value} = decode(${Buffer.from(fresh).toString('base64')}, 'base64')
         WHERE ${id} = ${row.id}::uuid AND ${value} = decode(${row.blob}, 'base64')`,
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Re-wraps every data key (and any other keyring-sealed column) not under the keyring's current key. */
export async function rotateKeys(prisma: PrismaClient, keyring: Keyring, batchSize = 1000): Promise<Partial<Record<EncryptedColumnName, ColumnRotation>>> {
  const report: Partial<Record<EncryptedColumnName, ColumnRotation>> = {};
  for (const [name, column] of entries().filter(([, c]) => c.keyedBy === 'keyring')) {
    const result: ColumnRotation = { reencrypted: 0, unreadable: 0 };
    for await (const rows of keyringBlobs(prisma, column, Prisma.sql`${keyIdSql(column)} <> ${keyring.currentKeyId}`, batchSize)) {
      const swaps = [];
      for (const row of rows) {
        try {
          swaps.push({ row, fresh: keyring.encrypt(keyring.decrypt(Buffer.from(row.blob, 'base64'), column.aad(row.id)), column.aad(row.id)) });
        } catch {
          result.unreadable += 1;
        }
      }
      result.reencrypted += await swapAll(prisma, column, swaps);
    }
    report[name] = result;
  }
  return report;
}

export interface BackfillReport {
  /** Per owner-keyed column: values moved from the keyring to their owner's data key. */
  columns: Partial<Record<EncryptedColumnName, ColumnRotation>>;
  /** Profiles sealed (their clear name, email and avatar columns emptied). */
  profiles: number;
}

/**
 * Moves every value still sealed directly under the keyring to its owner's data
 * key, and seals every profile still in clear. Idempotent and resumable.
 */
export async function backfill(prisma: PrismaClient, dataKeys: DataKeys, emailIndexKey: Buffer, batchSize = 1000): Promise<BackfillReport> {
  const report: BackfillReport = { columns: {}, profiles: await backfillProfiles(prisma, dataKeys, emailIndexKey, batchSize) };
  for (const [name, column] of entries().filter(([, c]) => c.keyedBy === 'owner')) {
    const result: ColumnRotation = { reencrypted: 0, unreadable: 0 };
    for await (const rows of keyringBlobs(prisma, column, Prisma.sql`TRUE`, batchSize)) {
      const keys = await dataKeys.keysFor(rows.map((r) => r.owner));
      const swaps = [];
      for (const row of rows) {
        try {
          const plaintext = dataKeys.keyring.decrypt(Buffer.from(row.blob, 'base64'), column.aad(row.id));
          swaps.push({ row, fresh: dataKeys.sealWith(keys.get(row.owner) as Buffer, column, row.id, plaintext) });
        } catch {
          result.unreadable += 1;
        }
      }
      result.reencrypted += await swapAll(prisma, column, swaps);
    }
    report.columns[name] = result;
  }
  return report;
}

/** Seals the profiles still in clear, a batch per transaction; returns how many. */
export async function backfillProfiles(prisma: PrismaClient, dataKeys: DataKeys, emailIndexKey: Buffer, batchSize = 1000): Promise<number> {
  const profiles = createProfiles(prisma, dataKeys, emailIndexKey);
  let sealed = 0;
  let after = FIRST_UUID;
  for (;;) {
    const users = await prisma.user.findMany({
      where: { id: { gt: after }, OR: [{ name: { not: null } }, { email: { not: null } }, { avatarUrl: { not: null } }] },
      select: { id: true, name: true, email: true, avatarUrl: true },
      orderBy: { id: 'asc' },
      take: batchSize,
    });
    if (users.length === 0) return sealed;
    const keys = await dataKeys.keysFor(users.map((u) => u.id));
    const updates = users.filter((user) => keys.has(user.id)).map((user) =>
      // Compare-and-swap on the clear values read: a profile edited meanwhile was sealed by that edit.
      prisma.user.updateMany({
        where: { id: user.id, name: user.name, email: user.email, avatarUrl: user.avatarUrl },
        data: profiles.sealWith(keys.get(user.id) as Buffer, user.id, { name: user.name ?? '', email: user.email ?? '', avatarUrl: user.avatarUrl }),
      }),
    );
    sealed += (await prisma.$transaction(updates)).reduce((n, r) => n + r.count, 0);
    if (users.length < batchSize) return sealed;
    after = (users[users.length - 1] as { id: string }).id;
  }
}
