import type { Prisma, PrismaClient } from '@prisma/client';

export type SecurityEventType = 'provider_key_added' | 'provider_key_deleted' | 'new_login' | 'password_changed';

/** Records an event for the security-alert emails (sent by a later feature from this table). */
export async function recordSecurityEvent(db: PrismaClient | Prisma.TransactionClient, userId: string, type: SecurityEventType) {
  await db.securityEvent.create({ data: { userId, type } });
}
