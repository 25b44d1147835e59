// The email blind index: accounts are found by email (log-in, uniqueness,
// operator commands) without the address being stored in clear. The index is
// an HMAC-SHA256 of the normalized address under EMAIL_INDEX_KEY, a key of its
// own: without it, the index cannot be tested against a list of addresses.
import { createHmac } from 'node:crypto';
import type { Prisma, PrismaClient } from '@prisma/client';

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

/** The users row with this email: by blind index, or by the clear column of a row the backfill has not reached yet. */
export function userByEmailWhere(indexKey: Buffer, email: string): Prisma.UserWhereInput {
  return { OR: [{ emailIndex: emailIndex(indexKey, email) }, { email: normalizeEmail(email) }] };
}

/** The id of the account with this email, or null (operator commands). */
export async function findUserIdByEmail(prisma: PrismaClient | Prisma.TransactionClient, indexKey: Buffer, email: string): Promise<string | null> {
  const user = await prisma.user.findFirst({ where: userByEmailWhere(indexKey, email), select: { id: true } });
  return user?.id ?? null;
}
