// Key rotation for data at rest. Prepending a new key to DATA_ENCRYPTION_KEYS
// makes it encrypt every new value while the old keys still decrypt old ones;
// this re-encrypts the old ones, column by column from the registry
// (./columns), so an old key can then be removed. Batched by primary key, so
// memory stays bounded; each write is a compare-and-swap on the old ciphertext,
// so a value changed meanwhile (written under the current key anyway) is left
// alone. A value no configured key opens is counted, never overwritten.
import { Prisma, type PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS, type EncryptedColumn, type EncryptedColumnName } from './columns';
import type { Keyring } from './keyring';

export interface ColumnRotation {
  reencrypted: number;
  /** Values no configured key could open (left as they are). */
  unreadable: number;
}

/** The key id stored in a blob's header, computed by Postgres (layout in ./keyring). */
const keyIdSql = (column: EncryptedColumn) =>
  Prisma.sql`convert_from(substring(${Prisma.raw(column.column)} from 3 for get_byte(${Prisma.raw(column.column)}, 1)), 'UTF8')`;

/** How many values of each registered column each key id encrypts. */
export async function keyUsage(prisma: PrismaClient): Promise<Record<EncryptedColumnName, Record<string, number>>> {
  const usage = {} as Record<EncryptedColumnName, Record<string, number>>;
  for (const [name, column] of Object.entries(ENCRYPTED_COLUMNS) as [EncryptedColumnName, EncryptedColumn][]) {
    const rows = await prisma.$queryRaw<{ key_id: string; values: bigint }[]>`
      SELECT ${keyIdSql(column)} AS key_id, count(*) AS values
        FROM ${Prisma.raw(column.table)} WHERE ${Prisma.raw(column.column)} IS NOT NULL GROUP BY 1 ORDER BY 1`;
    usage[name] = Object.fromEntries(rows.map((r) => [r.key_id, Number(r.values)]));
  }
  return usage;
}

async function rotateColumn(prisma: PrismaClient, keyring: Keyring, column: EncryptedColumn, batchSize: number): Promise<ColumnRotation> {
  const result: ColumnRotation = { reencrypted: 0, unreadable: 0 };
  const table = Prisma.raw(column.table);
  const value = Prisma.raw(column.column);
  const id = Prisma.raw(column.idColumn);
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    // Bytes travel as base64 text: the raw-query path of Prisma's driver adapter does not carry bytea.
    const rows = await prisma.$queryRaw<{ id: string; blob: string }[]>`
      SELECT ${id}::text AS id, encode(${value}, 'base64') AS blob FROM ${table}
       WHERE ${value} IS NOT NULL AND ${id} > ${after}::uuid AND ${keyIdSql(column)} <> ${keyring.currentKeyId}
       ORDER BY ${id} LIMIT ${batchSize}`;
    for (const row of rows) {
      const blob = Buffer.from(row.blob, 'base64');
      let plaintext: Buffer;
      try {
        plaintext = keyring.decrypt(blob, column.aad(row.id));
      } catch {
        result.unreadable += 1;
        continue;
      }
      const fresh = keyring.encrypt(plaintext, column.aad(row.id));
      result.reencrypted += await prisma.$executeRaw`
        UPDATE ${table} SET ${value} = decode(${Buffer.from(fresh).toString('base64')}, 'base64')
         WHERE ${id} = ${row.id}::uuid AND ${value} = decode(${row.blob}, 'base64')`;
    }
    if (rows.length < batchSize) return result;
    after = (rows[rows.length - 1] as { id: string }).id;
  }
}

/** Re-encrypts every registered column's values that are not under the current key. */
export async function rotateKeys(prisma: PrismaClient, keyring: Keyring, batchSize = 500): Promise<Record<EncryptedColumnName, ColumnRotation>> {
  const report = {} as Record<EncryptedColumnName, ColumnRotation>;
  for (const [name, column] of Object.entries(ENCRYPTED_COLUMNS) as [EncryptedColumnName, EncryptedColumn][]) {
    report[name] = await rotateColumn(prisma, keyring, column, batchSize);
  }
  return report;
}
