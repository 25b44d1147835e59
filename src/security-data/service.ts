// Security data past its retention (SPEC's retention table: "sessions until
// expiry, revoked tokens 30 days, security events 12 months, rate-limit keys
// until their window ends") is deleted, not hidden:
// - a session at its expiry, and a revoked one (log-out) at once: it can never
//   authenticate again, and nothing reads it after (a missing, expired or revoked
//   session all answer 401 unauthenticated),
// - a revoked API token REVOKED_API_TOKEN_RETENTION (30 days) after its revocation
//   (a missing or revoked token both answer 401 invalid_token),
// - a security event SECURITY_EVENT_RETENTION (365 days) after it happened,
//   whether or not its alert was sent,
// - a rate-limit counter once its window has ended (the next request starts a new
//   window either way),
// - a log-in context (src/accounts/login-context.ts) LOGIN_CONTEXT_RETENTION (12
//   months) after the account last signed in from it: a log-in from it after that
//   counts as new again, and is alerted,
// - a mailed re-authentication code at its expiry (a used one is deleted at use).
// Every comparison uses the database's clock. Each kind is deleted in batches of
// at most `batchSize` rows, one short statement each (its own transaction), which
// skip rows another transaction holds: however large the backlog, no lock is
// held for long and the API's own writes never wait behind the cleanup.
import { Prisma, type PrismaClient } from '@prisma/client';
import type { SecurityDataDeleted } from './contract';

export interface SecurityDataRetention {
  revokedApiTokenRetentionMs: number;
  securityEventRetentionMs: number;
  loginContextRetentionMs: number;
}

type Kind = keyof SecurityDataDeleted;

/** Deletes at most `limit` rows of `table` (primary key: `key`, one or more columns) matching `due`, skipping rows another transaction holds; returns how many. */
function deleteDue(prisma: PrismaClient, table: string, key: string, due: Prisma.Sql, limit: number): Promise<number> {
  const [t, k] = [Prisma.raw(table), Prisma.raw(key)];
  return prisma.$executeRaw`DELETE FROM ${t} WHERE (${k}) IN (SELECT ${k} FROM ${t} WHERE ${due} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
}

const olderThan = (ms: number) => Prisma.sql`now() - ${ms}::double precision * interval '1 millisecond'`;

/** One batch of one kind: deletes at most `limit` rows past their retention and returns how many it deleted. */
function deleteBatch(prisma: PrismaClient, kind: Kind, limit: number, retention: SecurityDataRetention): Promise<number> {
  switch (kind) {
    case 'sessions':
      return deleteDue(prisma, 'sessions', 'id', Prisma.sql`expires_at <= now() OR revoked_at IS NOT NULL`, limit);
    case 'apiTokens':
      return deleteDue(prisma, 'api_tokens', 'id', Prisma.sql`revoked_at <= ${olderThan(retention.revokedApiTokenRetentionMs)}`, limit);
    case 'securityEvents':
      return deleteDue(prisma, 'security_events', 'id', Prisma.sql`created_at <= ${olderThan(retention.securityEventRetentionMs)}`, limit);
    case 'rateLimitKeys':
      // A counter the API is incrementing right now is skipped (locked) or, once the API
      // committed a new window, no longer matches: only ended windows go.
      return deleteDue(prisma, 'rate_limit_hits', 'key', Prisma.sql`reset_at <= now()`, limit);
    case 'reauthCodes':
      return deleteDue(prisma, 'reauth_codes', 'user_id', Prisma.sql`expires_at <= now()`, limit);
    case 'loginContexts':
      return deleteDue(prisma, 'login_contexts', 'user_id, context_hmac', Prisma.sql`last_seen_at <= ${olderThan(retention.loginContextRetentionMs)}`, limit);
  }
}

const KINDS: Kind[] = ['sessions', 'apiTokens', 'securityEvents', 'rateLimitKeys', 'loginContexts', 'reauthCodes'];

/**
 * Deletes every row past its retention, kind by kind, in batches; `onBatch` runs after each
 * batch (the activity heartbeats there). Returns how many rows of each kind it deleted.
 */
export async function deleteExpiredSecurityData(
  prisma: PrismaClient,
  retention: SecurityDataRetention,
  { batchSize = 1000, onBatch }: { batchSize?: number; onBatch?: (kind: Kind, deleted: number) => void } = {},
): Promise<SecurityDataDeleted> {
  const deleted: SecurityDataDeleted = { sessions: 0, apiTokens: 0, securityEvents: 0, rateLimitKeys: 0, loginContexts: 0, reauthCodes: 0 };
  for (const kind of KINDS) {
    for (;;) {
      const count = await deleteBatch(prisma, kind, batchSize, retention);
      deleted[kind] += count;
      onBatch?.(kind, count);
      if (count < batchSize) break;
    }
  }
  return deleted;
}
