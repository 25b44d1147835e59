// The credit ledger: every movement of credits is one append-only ledger entry
// written in the same transaction as the balance change it explains, so
//   available = SUM(available_delta) and reserved = SUM(reserved_delta)
// hold after every commit. Each movement has a unique idempotency key, so a
// retried call never moves credits twice. Balances cannot go negative: the
// conditional UPDATEs below refuse it, and CHECK constraints back them up.
import { Prisma, type LedgerEntryType, type PrismaClient } from '@prisma/client';

import { sqlPool } from '../db';
import { DomainError } from '../errors';
import { newestFirst } from '../pagination';
import { claimIdempotencyKey } from '../idempotency';

type Tx = Prisma.TransactionClient;

/** The balance read, by user id (also the "bare Express + pg" reference of bench/reads.ts). */
export const BALANCE_STATEMENT = {
  name: 'ledger-balance',
  text: 'SELECT available, reserved, fraud_flagged_at IS NOT NULL AS under_review FROM credit_accounts WHERE user_id = $1',
};

export interface Reservation {
  executionId: string;
  accountId: string;
  toolId: string | null;
  amount: number;
  state: 'held' | 'captured' | 'released';
  capturedAmount: number | null;
  expiresAt: Date;
}

export interface LedgerOptions {
  /** How long a hold may stay unsettled before the sweeper releases it. */
  reservationTtlMs: number;
}

const isUniqueViolation = (err: unknown) =>
  (err instanceof Prisma.PrismaClientKnownRequestError &&
    (err.code === 'P2002' || (err.code === 'P2010' && /23505|unique/i.test(JSON.stringify(err.meta ?? {}))))) ||
  (err instanceof Error && (err as { code?: unknown }).code === '23505'); // from a plain pg statement

async function appendEntry(
  tx: Tx,
  entry: {
    accountId: string;
    type: LedgerEntryType;
    availableDelta: number;
    reservedDelta: number;
    idempotencyKey: string;
    shortfall?: number;
    toolId?: string | null;
    executionId?: string | null;
    stripeObjectId?: string | null;
  },
) {
  await tx.ledgerEntry.create({ data: entry });
}

async function ensureAccount(tx: Tx, accountId: string) {
  await tx.$executeRaw`INSERT INTO credit_accounts (user_id, updated_at) VALUES (${accountId}::uuid, now()) ON CONFLICT DO NOTHING`;
}

async function lockReservation(tx: Tx, executionId: string): Promise<Reservation | undefined> {
  const rows = await tx.$queryRaw<
    {
      execution_id: string;
      account_id: string;
      tool_id: string | null;
      amount: number;
      state: Reservation['state'];
      captured_amount: number | null;
      expires_at: Date;
    }[]
  >`SELECT execution_id, account_id, tool_id, amount, state, captured_amount, expires_at
      FROM credit_reservations WHERE execution_id = ${executionId}::uuid FOR UPDATE`;
  const r = rows[0];
  return r
    ? {
        executionId: r.execution_id,
        accountId: r.account_id,
        toolId: r.tool_id,
        amount: r.amount,
        state: r.state,
        capturedAmount: r.captured_amount,
        expiresAt: r.expires_at,
      }
    : undefined;
}

export function createLedger(prisma: PrismaClient, options: LedgerOptions) {
  async function existingHold(input: { accountId: string; executionId: string; amount: number }): Promise<Reservation | undefined> {
    const { rows } = await sqlPool(prisma).query<{ account_id: string; tool_id: string | null; amount: number; state: Reservation['state']; captured_amount: number | null; expires_at: Date }>({
      name: 'ledger.hold',
      text: 'SELECT account_id, tool_id, amount, state, captured_amount, expires_at FROM credit_reservations WHERE execution_id = $1::uuid',
      values: [input.executionId],
    });
    const row = rows[0];
    if (!row) return undefined;
    const existing: Reservation = {
      executionId: input.executionId,
      accountId: row.account_id,
      toolId: row.tool_id,
      amount: row.amount,
      state: row.state,
      capturedAmount: row.captured_amount,
      expiresAt: row.expires_at,
    };
    if (existing.accountId !== input.accountId || existing.amount !== input.amount) {
      throw new DomainError('reservation_mismatch', 'this execution already holds a different reservation');
    }
    return existing; // a retry: the hold is already in place
  }

  /**
   * One statement, so one round trip and atomic without an explicit transaction:
   * take the credits (only if enough are available and the account is not under
   * review: the row lock makes concurrent holds queue up and re-check), record
   * the hold, append the ledger entry. The statement is tried first and the hold
   * looked up only when it took nothing: a retry (or a concurrent duplicate) for
   * the same execution fails on the hold's primary key and the whole statement
   * rolls back, or finds too little available; either way the hold in place is
   * the answer. A first hold, the common case, costs one round trip.
   */
  async function takeHold(input: { accountId: string; executionId: string; amount: number; toolId?: string }): Promise<Reservation> {
    const expiresAt = new Date(Date.now() + options.reservationTtlMs);
    const toolId = input.toolId ?? null;
    let taken: boolean;
    try {
      const { rows } = await sqlPool(prisma).query<{ execution_id: string }>({
        name: 'ledger.reserve',
        text: `
          WITH taken AS (
            UPDATE credit_accounts
               SET available = available - $3::int, reserved = reserved + $3::int, updated_at = now()
             WHERE user_id = $1::uuid AND available >= $3::int AND fraud_flagged_at IS NULL
            RETURNING user_id
          ), hold AS (
            INSERT INTO credit_reservations (execution_id, account_id, tool_id, amount, state, expires_at)
            SELECT $2::uuid, user_id, $4::uuid, $3::int, 'held', $5::timestamptz FROM taken
            RETURNING execution_id, account_id, tool_id
          )
          INSERT INTO ledger_entries (id, account_id, type, available_delta, reserved_delta, tool_id, execution_id, idempotency_key)
          SELECT gen_random_uuid(), account_id, 'reservation', -$3::int, $3::int, tool_id, execution_id, 'reservation:' || $2::uuid::text
            FROM hold
          RETURNING execution_id`,
        values: [input.accountId, input.executionId, input.amount, toolId, expiresAt],
      });
      taken = rows.length > 0;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const earlier = await existingHold(input);
      if (earlier) return earlier;
      throw err;
    }
    if (!taken) {
      const earlier = await existingHold(input);
      if (earlier) return earlier;
      const account = await prisma.creditAccount.findUnique({ where: { userId: input.accountId } });
      if (account?.fraudFlaggedAt) {
        throw new DomainError('account_under_review', 'this account is under review after a refund or dispute; paid runs are paused');
      }
      throw new DomainError('insufficient_credits', `this run needs ${input.amount} credits and ${account?.available ?? 0} are available`);
    }
    return { ...input, toolId, state: 'held', capturedAmount: null, expiresAt };
  }

  /**
   * A capture (`capture` credits) or release (undefined) of a hold that is still held, in one
   * prepared statement: one round trip, atomic on its own. The hold is settled, the account's
   * balances move and the ledger entries are appended together; the hold's row lock (taken by its
   * UPDATE before the account's, as in `settle`) makes a concurrent settlement wait and then find it
   * no longer held. Answers undefined when there is no held hold to settle this way (settled before,
   * none, or a capture above it): `settle` then tells an idempotent retry from a refusal. Tool runs
   * settle every time, so this is their path (docs/BENCHMARKS.md, "Tool runs").
   */
  async function settleHeld(executionId: string, capture: number | undefined): Promise<{ captured: number; released: number } | undefined> {
    const { rows } = await sqlPool(prisma).query<{ amount: number }>({
      name: 'ledger.settle-held',
      text: `
        WITH r AS (
          UPDATE credit_reservations
             SET state = (CASE WHEN $2::int IS NULL THEN 'released' ELSE 'captured' END)::"ReservationState",
                 captured_amount = $2::int, settled_at = now()
           WHERE execution_id = $1::uuid AND state = 'held' AND amount >= COALESCE($2::int, 0)
          RETURNING account_id, tool_id, amount
        ), balances AS (
          UPDATE credit_accounts a
             SET reserved = a.reserved - r.amount, available = a.available + r.amount - COALESCE($2::int, 0), updated_at = now()
            FROM r
           WHERE a.user_id = r.account_id
        ), entries AS (
          INSERT INTO ledger_entries (id, account_id, type, available_delta, reserved_delta, tool_id, execution_id, idempotency_key)
          SELECT gen_random_uuid(), r.account_id, e.type::"LedgerEntryType", e.available_delta, e.reserved_delta, r.tool_id, $1::uuid, e.type || ':' || $1::uuid::text
            FROM r
           CROSS JOIN LATERAL (VALUES
             ('capture', 0, -COALESCE($2::int, 0), $2::int IS NOT NULL),
             ('release', r.amount - COALESCE($2::int, 0), COALESCE($2::int, 0) - r.amount, r.amount - COALESCE($2::int, 0) > 0)
           ) AS e(type, available_delta, reserved_delta, wanted)
           WHERE e.wanted
        )
        SELECT amount FROM r`,
      values: [executionId, capture ?? null],
    });
    const held = rows[0];
    if (!held) return undefined;
    const captured = capture ?? 0;
    return { captured, released: held.amount - captured };
  }

  async function settle(executionId: string, capture: number | undefined) {
    if (capture === undefined || (Number.isInteger(capture) && capture >= 0)) {
      const settled = await settleHeld(executionId, capture);
      if (settled) return settled;
    }
    return prisma.$transaction(async (tx) => {
      const r = await lockReservation(tx, executionId);
      if (!r) throw new DomainError('reservation_not_found', 'no reservation for this execution');
      const wanted = capture === undefined ? 'released' : 'captured';
      if (r.state !== 'held') {
        // Idempotent retry of the same settlement; anything else is refused.
        if (r.state === wanted && (capture === undefined || r.capturedAmount === capture)) {
          return { captured: r.capturedAmount ?? 0, released: r.amount - (r.capturedAmount ?? 0) };
        }
        throw new DomainError('reservation_settled', `this reservation was already ${r.state}`);
      }
      const captured = capture ?? 0;
      if (!Number.isInteger(captured) || captured < 0 || captured > r.amount) {
        throw new DomainError('capture_exceeds_reservation', `cannot capture ${captured} of a ${r.amount}-credit reservation`);
      }
      const released = r.amount - captured;
      await tx.creditReservation.update({
        where: { executionId },
        data: { state: wanted, capturedAmount: capture === undefined ? null : captured, settledAt: new Date() },
      });
      await tx.$executeRaw`
        UPDATE credit_accounts SET reserved = reserved - ${r.amount}, available = available + ${released}, updated_at = now()
         WHERE user_id = ${r.accountId}::uuid`;
      if (capture !== undefined) {
        await appendEntry(tx, {
          accountId: r.accountId,
          type: 'capture',
          availableDelta: 0,
          reservedDelta: -captured,
          idempotencyKey: `capture:${executionId}`,
          toolId: r.toolId,
          executionId,
        });
      }
      if (released > 0) {
        await appendEntry(tx, {
          accountId: r.accountId,
          type: 'release',
          availableDelta: released,
          reservedDelta: -released,
          idempotencyKey: `release:${executionId}`,
          toolId: r.toolId,
          executionId,
        });
      }
      return { captured, released };
    });
  }

  /** Applies every refund / dispute recorded for a credited purchase that is not applied yet. */
  async function applyClawbacks(tx: Tx, paymentIntentId: string) {
    const purchases = await tx.$queryRaw<
      { checkout_session_id: string; account_id: string; credits: number; amount_cents: number; clawed_back: number; credited_at: Date | null }[]
    >`SELECT checkout_session_id, account_id, credits, amount_cents, clawed_back, credited_at
        FROM credit_purchases WHERE payment_intent_id = ${paymentIntentId} FOR UPDATE`;
    const purchase = purchases[0];
    if (!purchase || !purchase.credited_at) return { applied: 0, pending: true };
    const clawbacks = await tx.creditClawback.findMany({ where: { paymentIntentId } });
    if (clawbacks.length === 0) return { applied: 0, pending: false };
    const refunded = Math.max(0, ...clawbacks.filter((c) => c.kind === 'refund').map((c) => c.amountCents));
    const disputed = clawbacks.filter((c) => c.kind === 'dispute').reduce((sum, c) => sum + c.amountCents, 0);
    const targetCents = Math.min(purchase.amount_cents, Math.max(refunded, disputed));
    // Round up: a partial refund never leaves a fraction of a credit behind.
    const target = Math.min(purchase.credits, Math.ceil((purchase.credits * targetCents) / purchase.amount_cents));
    const due = target - purchase.clawed_back;
    if (due <= 0) return { applied: 0, pending: false };

    const kind = disputed > 0 ? 'dispute' : 'refund';
    const [account] = await tx.$queryRaw<{ available: number }[]>`
      SELECT available FROM credit_accounts WHERE user_id = ${purchase.account_id}::uuid FOR UPDATE`;
    const taken = Math.min(account?.available ?? 0, due);
    const shortfall = due - taken;
    const flag = kind === 'dispute' || shortfall > 0;
    await tx.$executeRaw`
      UPDATE credit_accounts
         SET available = available - ${taken}, shortfall = shortfall + ${shortfall}, updated_at = now(),
             fraud_flagged_at = CASE WHEN ${flag} THEN coalesce(fraud_flagged_at, now()) ELSE fraud_flagged_at END,
             fraud_reason = CASE WHEN ${flag} THEN coalesce(fraud_reason, ${`${kind} on ${purchase.checkout_session_id}`}) ELSE fraud_reason END
       WHERE user_id = ${purchase.account_id}::uuid`;
    await tx.creditPurchase.update({ where: { checkoutSessionId: purchase.checkout_session_id }, data: { clawedBack: target } });
    await appendEntry(tx, {
      accountId: purchase.account_id,
      type: kind,
      availableDelta: -taken,
      reservedDelta: 0,
      shortfall,
      stripeObjectId: paymentIntentId,
      // One entry per clawback level reached: replays of the same events find it taken.
      idempotencyKey: `clawback:${paymentIntentId}:${target}`,
    });
    return { applied: due, pending: false };
  }

  return {
    /** Holds `amount` credits for one execution. Idempotent per execution id. */
    async reserve(input: { accountId: string; executionId: string; amount: number; toolId?: string }): Promise<Reservation> {
      if (!Number.isInteger(input.amount) || input.amount <= 0) throw new DomainError('invalid_amount', 'a reservation holds a positive whole number of credits');
      return takeHold(input);
    },

    /** Charges `actual` (≤ the hold) and releases the rest. Idempotent; refused after a release. */
    capture: (executionId: string, actual: number) => settle(executionId, actual),

    /** Returns the whole hold. Idempotent; refused after a capture. */
    release: (executionId: string) => settle(executionId, undefined),

    /** Releases holds left past their expiry (crashed or stuck runs). Returns how many. */
    async releaseExpired(limit = 500): Promise<number> {
      const expired = await prisma.creditReservation.findMany({
        where: { state: 'held', expiresAt: { lt: new Date() } },
        select: { executionId: true },
        take: limit,
      });
      let released = 0;
      for (const { executionId } of expired) {
        try {
          await settle(executionId, undefined);
          released += 1;
        } catch (err) {
          if (!(err instanceof DomainError && err.code === 'reservation_settled')) throw err; // settled meanwhile: fine
        }
      }
      return released;
    },

    /** Credits a paid checkout exactly once, then applies any refund / dispute that arrived first. */
    async creditPurchase(checkoutSessionId: string): Promise<{ credited: boolean; credits: number }> {
      return prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ account_id: string; credits: number; credited_at: Date | null; paid_at: Date | null; payment_intent_id: string | null }[]>`
          SELECT account_id, credits, credited_at, paid_at, payment_intent_id FROM credit_purchases
           WHERE checkout_session_id = ${checkoutSessionId} FOR UPDATE`;
        const purchase = rows[0];
        if (!purchase || !purchase.paid_at) throw new DomainError('purchase_not_found', 'no paid checkout with this id');
        if (purchase.credited_at) return { credited: false, credits: purchase.credits };
        await ensureAccount(tx, purchase.account_id);
        await tx.$executeRaw`UPDATE credit_accounts SET available = available + ${purchase.credits}, updated_at = now() WHERE user_id = ${purchase.account_id}::uuid`;
        await tx.creditPurchase.update({ where: { checkoutSessionId }, data: { creditedAt: new Date() } });
        await appendEntry(tx, {
          accountId: purchase.account_id,
          type: 'purchase',
          availableDelta: purchase.credits,
          reservedDelta: 0,
          stripeObjectId: checkoutSessionId,
          idempotencyKey: `purchase:${checkoutSessionId}`,
        });
        if (purchase.payment_intent_id) await applyClawbacks(tx, purchase.payment_intent_id);
        return { credited: true, credits: purchase.credits };
      });
    },

    /** Applies recorded refunds / disputes for a payment (no-op until its purchase is credited). */
    applyClawbacks: (paymentIntentId: string) => prisma.$transaction((tx) => applyClawbacks(tx, paymentIntentId)),

    async balance(accountId: string) {
      // Read by every balance check a client polls: a prepared statement, past Prisma's query
      // compiler (docs/BENCHMARKS.md, "API reads").
      const { rows } = await sqlPool(prisma).query<{ available: number; reserved: number; under_review: boolean }>({ ...BALANCE_STATEMENT, values: [accountId] });
      const account = rows[0];
      return { available: account?.available ?? 0, reserved: account?.reserved ?? 0, underReview: account?.under_review ?? false };
    },

    /** The account's ledger, newest first (keyset pagination). */
    listEntries(accountId: string, after: object, limit: number) {
      return prisma.ledgerEntry.findMany({ where: { accountId, ...after }, orderBy: newestFirst, take: limit + 1 });
    },

    /**
     * An operator's adjustment: `credits` (positive grants, negative takes back) with who and why,
     * in one transaction with its ledger entry. A negative one never takes the balance below zero.
     * Idempotent by `requestKey`: the same key again returns the first adjustment; with other
     * values it is refused.
     */
    async adjust(input: { accountId: string; credits: number; reason: string; operator: string; requestKey: string }) {
      if (!Number.isInteger(input.credits) || input.credits === 0) throw new DomainError('invalid_amount', 'an adjustment is a non-zero whole number of credits');
      const claim = await claimIdempotencyKey({
        key: input.requestKey,
        find: () => prisma.creditAdjustment.findUnique({ where: { requestKey: input.requestKey } }),
        sameRequest: (earlier) => earlier.accountId === input.accountId && earlier.credits === input.credits && earlier.reason === input.reason,
        create: () =>
          prisma.$transaction(async (tx) => {
            await ensureAccount(tx, input.accountId);
            const changed = await tx.$executeRaw`
              UPDATE credit_accounts SET available = available + ${input.credits}, updated_at = now()
               WHERE user_id = ${input.accountId}::uuid AND available + ${input.credits} >= 0`;
            if (changed === 0) throw new DomainError('adjustment_exceeds_balance', `taking back ${-input.credits} credits would make the balance negative`);
            const adjustment = await tx.creditAdjustment.create({
              data: { accountId: input.accountId, credits: input.credits, reason: input.reason, operator: input.operator, requestKey: input.requestKey },
            });
            await appendEntry(tx, {
              accountId: input.accountId,
              type: 'adjustment',
              availableDelta: input.credits,
              reservedDelta: 0,
              idempotencyKey: `adjustment:${adjustment.id}`,
            });
            return adjustment;
          }),
      });
      return 'replay' in claim ? { adjustment: claim.replay, created: false } : { adjustment: claim.created, created: true };
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
