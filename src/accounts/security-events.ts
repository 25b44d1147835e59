import type { Prisma, PrismaClient } from '@prisma/client';

export type SecurityEventType = 'provider_key_added' | 'provider_key_deleted' | 'api_token_created' | 'email_changed' | 'new_login' | 'password_changed';

/** Records an event; the security-alert schedule mails it to the account's address (src/mail/security-alerts.ts). */
export async function recordSecurityEvent(db: PrismaClient | Prisma.TransactionClient, userId: string, type: SecurityEventType) {
  await db.securityEvent.create({ data: { userId, type } });
}
