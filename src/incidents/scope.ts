// Who is affected: each selector is a SQL query over user ids, resolved by the
// database in batches in id order (keyset pagination), each batch inserted into
// incident_recipients by the same statement. The worker never holds the list:
// a 1,000,000-user selector costs it one batch's counters at a time.
// A user whose erasure has begun is left out (their data is being destroyed,
// and they can no longer be mailed under their key).
import { Prisma, type PrismaClient } from '@prisma/client';
import type { AffectedSelector, ResolveBatch } from './contract';

/** The selector as stored in the breach register: the rule, without user ids. */
export type StoredScope =
  | { kind: 'user_ids'; count: number }
  | { kind: 'tool'; toolId: string; from: string; to: string }
  | { kind: 'provider_keys'; existingAt: string }
  | { kind: 'all' };

export function storedScope(selector: AffectedSelector): StoredScope {
  if ('userIds' in selector) return { kind: 'user_ids', count: selector.userIds.length };
  if ('toolId' in selector) return { kind: 'tool', toolId: selector.toolId, from: selector.from, to: selector.to };
  if ('providerKeysExistingAt' in selector) return { kind: 'provider_keys', existingAt: selector.providerKeysExistingAt };
  return { kind: 'all' };
}

/**
 * The ids the selector names, as a SQL condition on `u` (users):
 * - listed ids;
 * - users who ran the tool in [from, to]: its runs still kept, and the ledger, which keeps the tool
 *   of every paid run after the run's record has expired;
 * - users whose BYOM key existed at the instant: a key still stored that was added by then, or one
 *   added by then (security event) and deleted after it;
 * - every account.
 */
function selectorCondition(selector: AffectedSelector): Prisma.Sql {
  if ('userIds' in selector) return Prisma.sql`u.id = ANY(${selector.userIds}::uuid[])`;
  if ('toolId' in selector) {
    const { toolId, from, to } = selector;
    return Prisma.sql`(u.id IN (SELECT e.user_id FROM executions e WHERE e.tool_id = ${toolId}::uuid AND e.created_at BETWEEN ${new Date(from)} AND ${new Date(to)})
      OR u.id IN (SELECT l.account_id FROM ledger_entries l WHERE l.tool_id = ${toolId}::uuid AND l.created_at BETWEEN ${new Date(from)} AND ${new Date(to)}))`;
  }
  if ('providerKeysExistingAt' in selector) {
    const at = new Date(selector.providerKeysExistingAt);
    return Prisma.sql`(u.id IN (SELECT k.user_id FROM provider_keys k WHERE k.created_at <= ${at})
      OR (u.id IN (SELECT s.user_id FROM security_events s WHERE s.type = 'provider_key_added' AND s.created_at <= ${at})
          AND u.id IN (SELECT s.user_id FROM security_events s WHERE s.type = 'provider_key_deleted' AND s.created_at > ${at})))`;
  }
  return Prisma.sql`TRUE`;
}

const BEFORE_ALL_IDS = '00000000-0000-0000-0000-000000000000';

/**
 * Puts the next `limit` users the selector names (after `after`, in id order) in the incident's
 * scope, marked with `generation`. A user already there stays as they are (still notified once
 * per content version); one who had been taken out of scope and corrected is put back and will
 * be told again.
 */
export async function resolveBatch(
  db: PrismaClient | Prisma.TransactionClient,
  incidentId: string,
  selector: AffectedSelector,
  generation: number,
  after: string | null,
  limit: number,
): Promise<ResolveBatch> {
  const [row] = await db.$queryRaw<{ n: bigint; last: string | null; added: bigint }[]>`
    WITH batch AS (
      SELECT u.id FROM users u
      WHERE ${selectorCondition(selector)} AND u.erasure_started_at IS NULL AND u.id > ${after ?? BEFORE_ALL_IDS}::uuid
      ORDER BY u.id LIMIT ${limit}
    ), upserted AS (
      INSERT INTO incident_recipients (incident_id, user_id, scope_generation)
      SELECT ${incidentId}::uuid, id, ${generation} FROM batch
      ON CONFLICT (incident_id, user_id) DO UPDATE SET
        scope_generation = EXCLUDED.scope_generation,
        in_scope = TRUE,
        notice_version = CASE WHEN incident_recipients.in_scope THEN incident_recipients.notice_version END,
        corrected_at = CASE WHEN incident_recipients.in_scope THEN incident_recipients.corrected_at END
      RETURNING (xmax = 0) AS inserted
    )
    SELECT (SELECT count(*) FROM batch) AS n,
           (SELECT id::text FROM batch ORDER BY id DESC LIMIT 1) AS last,
           (SELECT count(*) FROM upserted WHERE inserted) AS added`;
  const n = Number(row?.n ?? 0);
  return { added: Number(row?.added ?? 0), nextAfter: n === limit ? (row?.last ?? null) : null };
}

/** After a re-resolution: whoever the new scope did not name is out of scope (a correction is due if they were told). */
export async function dropOutOfScope(db: PrismaClient | Prisma.TransactionClient, incidentId: string, generation: number): Promise<number> {
  return db.incidentRecipient.updateMany({ where: { incidentId, inScope: true, scopeGeneration: { lt: generation } }, data: { inScope: false } }).then((r) => r.count);
}

/** Approximate number of records involved, for the authority report (Art. 33(3)(a)). */
export async function recordsInvolved(prisma: PrismaClient, incidentId: string, scope: StoredScope): Promise<{ count: number; basis: string }> {
  if (scope.kind === 'tool') {
    const [row] = await prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM (
        SELECT e.id FROM executions e WHERE e.tool_id = ${scope.toolId}::uuid AND e.created_at BETWEEN ${new Date(scope.from)} AND ${new Date(scope.to)}
        UNION
        SELECT l.execution_id FROM ledger_entries l WHERE l.tool_id = ${scope.toolId}::uuid AND l.execution_id IS NOT NULL AND l.created_at BETWEEN ${new Date(scope.from)} AND ${new Date(scope.to)}
      ) runs`;
    return { count: Number(row?.n ?? 0), basis: 'runs of the tool in the period (their inputs and outputs)' };
  }
  const people = await prisma.incidentRecipient.count({ where: { incidentId, inScope: true } });
  if (scope.kind === 'provider_keys') return { count: people, basis: 'model API keys (BYOM), about one per affected user' };
  return { count: people, basis: 'user accounts (one record per person)' };
}
