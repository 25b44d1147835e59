// The email blind index: accounts are found by email (log-in, uniqueness,
// operator commands) without the address being stored in clear. The index is
// an HMAC-SHA256 of the normalized address under EMAIL_INDEX_KEY, a key of its
// own: without it, the index cannot be tested against a list of addresses.
import { createHmac } from 'node:crypto';
import type { Prisma, PrismaClient, User } from '@prisma/client';

/** How addresses compare: Unicode NFC, no surrounding space, lower case. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

export function emailIndex(indexKey: Buffer, email: string): string {
  return createHmac('sha256', indexKey).update(normalizeEmail(email), 'utf8').digest('hex');
}

export function parseEmailIndexKey(base64: string): Buffer {
  const key = Buffer.from(base64, 'base64');
  if (key.length !== 32) throw new Error('EMAIL_INDEX_KEY must be base64 of exactly 32 bytes');
  return key;
}

/**
 * The users row with this email: by blind index, else by the clear column of a
 * row the backfill has not reached yet. Two `findUnique`s rather than one OR:
 * Prisma batches concurrent `findUnique`s into one query, which an OR defeats.
 */
export async function findUserByEmail(prisma: PrismaClient | Prisma.TransactionClient, indexKey: Buffer, email: string): Promise<User | null> {
  return (
    (await prisma.user.findUnique({ where: { emailIndex: emailIndex(indexKey, email) } })) ??
    (await prisma.user.findUnique({ where: { email: normalizeEmail(email) } }))
  );
}

/** The id of the account with this email, or null (operator commands). */
export async function findUserIdByEmail(prisma: PrismaClient | Prisma.TransactionClient, indexKey: Buffer, email: string): Promise<string | null> {
  return (await findUserByEmail(prisma, indexKey, email))?.id ?? null;
}
