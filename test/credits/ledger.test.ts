// The ledger against a real Postgres: concurrency, idempotency, settlement
// rules, expiry, and the database's own guarantees (CHECK, append-only).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createLedger } from '../../src/credits/ledger';
import { DomainError } from '../../src/errors';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { createUser, expectLedgerConsistent, fundAccount } from '../helpers/accounts';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 60_000 });
afterAll(closeTestPrisma);

const refusal = (code: string) => expect.objectContaining({ name: 'DomainError', code });

describe('reservations under contention', () => {
  it('50 reservations raced against a balance for 10: exactly 10 succeed, never below zero', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 100);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => ledger.reserve({ accountId: account, executionId: randomUUID(), amount: 10 })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect(r.reason).toEqual(refusal('insufficient_credits'));
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 0, reserved: 100 });
  });
});

describe('idempotency: a retried operation moves credits once', () => {
  it('reserve, capture and release, each retried 3 times (some concurrently)', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 50);
    const a = randomUUID();
    const b = randomUUID();
    await Promise.all([1, 2, 3].map(() => ledger.reserve({ accountId: account, executionId: a, amount: 20 })));
    for (let i = 0; i < 3; i += 1) await ledger.reserve({ accountId: account, executionId: b, amount: 10 });
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 20, reserved: 30 });

    for (let i = 0; i < 3; i += 1) expect(await ledger.capture(a, 15)).toEqual({ captured: 15, released: 5 });
    await Promise.all([1, 2, 3].map(() => ledger.release(b)));
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 35, reserved: 0 });
    expect(await prisma.ledgerEntry.count({ where: { executionId: { in: [a, b] } } })).toBe(5); // 2 holds, 1 capture, 2 releases
  });

  it('a purchase credited 5 times is credited once', async () => {
    const account = await createUser(prisma);
    const { sessionId } = await fundAccount(prisma, ledger, account, 40);
    for (let i = 0; i < 4; i += 1) expect((await ledger.creditPurchase(sessionId)).credited).toBe(false);
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 40, reserved: 0 });
  });
});

describe('settlement rules', () => {
  it('a capture and a release raced on one hold, 20 times: exactly one settles each, and the sums hold', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 200);
    let captures = 0;
    for (let i = 0; i < 20; i += 1) {
      const id = randomUUID();
      await ledger.reserve({ accountId: account, executionId: id, amount: 10 });
      const [capture, release] = await Promise.allSettled([ledger.capture(id, 4), ledger.release(id)]);
      // One wins; the other is refused as settled (never both, never a second movement).
      expect([capture.status, release.status].sort()).toEqual(['fulfilled', 'rejected']);
      const refused = (capture.status === 'rejected' ? capture : release) as PromiseRejectedResult;
      expect(refused.reason).toEqual(refusal('reservation_settled'));
      if (capture.status === 'fulfilled') captures += 1;
      expect(await prisma.ledgerEntry.count({ where: { executionId: id } })).toBe(capture.status === 'fulfilled' ? 3 : 2);
    }
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 200 - 4 * captures, reserved: 0 });
  });

  it('refuses capture after release, release after capture, and capturing more than the hold', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 30);
    const released = randomUUID();
    const captured = randomUUID();
    await ledger.reserve({ accountId: account, executionId: released, amount: 10 });
    await ledger.reserve({ accountId: account, executionId: captured, amount: 10 });
    await ledger.release(released);
    await expect(ledger.capture(released, 5)).rejects.toEqual(refusal('reservation_settled'));
    await expect(ledger.capture(captured, 11)).rejects.toEqual(refusal('capture_exceeds_reservation'));
    await ledger.capture(captured, 10);
    await expect(ledger.release(captured)).rejects.toEqual(refusal('reservation_settled'));
    await expect(ledger.capture(captured, 9)).rejects.toEqual(refusal('reservation_settled'));
    await expect(ledger.release(randomUUID())).rejects.toEqual(refusal('reservation_not_found'));
    await expect(ledger.reserve({ accountId: account, executionId: captured, amount: 7 })).rejects.toEqual(refusal('reservation_mismatch'));
    await expect(ledger.reserve({ accountId: account, executionId: randomUUID(), amount: 0 })).rejects.toEqual(refusal('invalid_amount'));
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 20, reserved: 0 });
  });

  it('releases holds left past their expiry', async () => {
    const shortLived = createLedger(prisma, { reservationTtlMs: 1 });
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 10);
    const executionId = randomUUID();
    await shortLived.reserve({ accountId: account, executionId, amount: 10 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await ledger.releaseExpired()).toBeGreaterThanOrEqual(1);
    expect((await prisma.creditReservation.findUniqueOrThrow({ where: { executionId } })).state).toBe('released');
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 10, reserved: 0 });
  });
});

describe('the database itself refuses broken money', () => {
  it('a negative available balance is impossible even with raw SQL', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 5);
    await expect(prisma.$executeRaw`UPDATE credit_accounts SET available = -1 WHERE user_id = ${account}::uuid`).rejects.toThrow(
      /credit_accounts_available_non_negative/,
    );
  });

  it('ledger entries can be neither changed nor deleted', async () => {
    const account = await createUser(prisma);
    await fundAccount(prisma, ledger, account, 5);
    await expect(prisma.$executeRaw`UPDATE ledger_entries SET available_delta = 500 WHERE account_id = ${account}::uuid`).rejects.toThrow(/append-only/);
    await expect(prisma.$executeRaw`DELETE FROM ledger_entries WHERE account_id = ${account}::uuid`).rejects.toThrow(/append-only/);
  });
});

describe('refunds and disputes', () => {
  it('a refund after the credits were partly spent takes what is left, records the shortfall and flags the account', async () => {
    const account = await createUser(prisma);
    const { paymentIntentId } = await fundAccount(prisma, ledger, account, 100, { amountCents: 500 });
    const run = randomUUID();
    await ledger.reserve({ accountId: account, executionId: run, amount: 70 });
    await ledger.capture(run, 70);
    await prisma.creditClawback.create({ data: { stripeObjectId: `ch_${randomUUID()}`, kind: 'refund', paymentIntentId, amountCents: 500 } });
    await ledger.applyClawbacks(paymentIntentId);
    await ledger.applyClawbacks(paymentIntentId); // a duplicate delivery
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 0, reserved: 0 });
    const row = await prisma.creditAccount.findUniqueOrThrow({ where: { userId: account } });
    expect(row.shortfall).toBe(70);
    expect(row.fraudFlaggedAt).not.toBeNull();
    await expect(ledger.reserve({ accountId: account, executionId: randomUUID(), amount: 1 })).rejects.toEqual(refusal('account_under_review'));
  });

  it('a partial refund of unused credits takes them back without flagging; a later dispute flags', async () => {
    const account = await createUser(prisma);
    const { paymentIntentId } = await fundAccount(prisma, ledger, account, 100, { amountCents: 1000 });
    const charge = `ch_${randomUUID()}`;
    await prisma.creditClawback.create({ data: { stripeObjectId: charge, kind: 'refund', paymentIntentId, amountCents: 250 } });
    await ledger.applyClawbacks(paymentIntentId);
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 75, reserved: 0 });
    expect((await ledger.balance(account)).underReview).toBe(false);
    await prisma.creditClawback.create({ data: { stripeObjectId: `dp_${randomUUID()}`, kind: 'dispute', paymentIntentId, amountCents: 1000 } });
    await ledger.applyClawbacks(paymentIntentId);
    expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 0, reserved: 0 });
    expect((await ledger.balance(account)).underReview).toBe(true);
  });
});

describe('property: any sequence of operations keeps the invariants', () => {
  type Op =
    | { kind: 'purchase'; credits: number }
    | { kind: 'reserve'; slot: number; amount: number }
    | { kind: 'capture'; slot: number; fraction: number }
    | { kind: 'release'; slot: number }
    | { kind: 'refund'; purchase: number; percent: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('purchase' as const), credits: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ kind: fc.constant('reserve' as const), slot: fc.integer({ min: 0, max: 5 }), amount: fc.integer({ min: 1, max: 40 }) }),
    fc.record({ kind: fc.constant('capture' as const), slot: fc.integer({ min: 0, max: 5 }), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
    fc.record({ kind: fc.constant('release' as const), slot: fc.integer({ min: 0, max: 5 }) }),
    fc.record({ kind: fc.constant('refund' as const), purchase: fc.integer({ min: 0, max: 3 }), percent: fc.integer({ min: 1, max: 100 }) }),
  );

  it('available ≥ 0, reserved ≥ 0, ledger sums equal balances, each hold settled at most once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const account = await createUser(prisma, 'Property');
        const slots = Array.from({ length: 6 }, () => randomUUID());
        const purchases: string[] = [];
        const settled = new Map<string, string>();
        for (const o of ops) {
          try {
            if (o.kind === 'purchase') purchases.push((await fundAccount(prisma, ledger, account, o.credits)).paymentIntentId);
            if (o.kind === 'reserve') await ledger.reserve({ accountId: account, executionId: slots[o.slot] as string, amount: o.amount });
            if (o.kind === 'capture' || o.kind === 'release') {
              const id = slots[o.slot] as string;
              const hold = await prisma.creditReservation.findUnique({ where: { executionId: id } });
              if (o.kind === 'capture') await ledger.capture(id, Math.floor((hold?.amount ?? 0) * o.fraction));
              else await ledger.release(id);
              const before = settled.get(id);
              const now = (await prisma.creditReservation.findUniqueOrThrow({ where: { executionId: id } })).state;
              if (before) expect(now).toBe(before); // settled once, never flipped
              settled.set(id, now);
            }
            if (o.kind === 'refund' && purchases.length > 0) {
              const pi = purchases[o.purchase % purchases.length] as string;
              const purchase = await prisma.creditPurchase.findUniqueOrThrow({ where: { paymentIntentId: pi } });
              await prisma.creditClawback.create({
                data: { stripeObjectId: `ch_${randomUUID()}`, kind: 'refund', paymentIntentId: pi, amountCents: Math.ceil((purchase.amountCents * o.percent) / 100) },
              });
              await ledger.applyClawbacks(pi);
            }
          } catch (err) {
            if (!(err instanceof DomainError)) throw err; // business refusals are expected; anything else is a bug
          }
          await expectLedgerConsistent(prisma, account);
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
