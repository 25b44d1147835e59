// Credit reservations per second against a real Postgres, through the ledger
// (the same code the execution workflow's activity calls):
//   - one account under contention (every reservation locks the same row),
//   - many accounts (no shared row; the pool and the database are the limit),
// at several concurrencies. Each reservation is a look-up of the execution id
// and one statement (conditional UPDATE of the balance, INSERT of the hold and
// of the ledger entry).
import { randomUUID } from 'node:crypto';
import { createPrisma } from '../src/db';
import { createLedger } from '../src/credits/ledger';
import { benchDatabase, machine, markdownTable, measure, percentile, writeBenchmarkSection } from './lib';

const OPS_PER_RUN = Number(process.env.BENCH_RESERVATIONS ?? 2000);
const CONCURRENCY = [1, 8, 32];

async function main() {
  const db = await benchDatabase('sotally_bench_reservations');
  const prisma = createPrisma(db.url, 32);
  const ledger = createLedger(prisma, { reservationTtlMs: 3_600_000 });
  const accounts = await Promise.all(
    Array.from({ length: 64 }, async (_, i) => {
      const user = await prisma.user.create({ data: { name: `bench ${i}`, email: `bench-${i}-${randomUUID()}@example.test`, passwordHash: 'x' } });
      await prisma.creditAccount.create({ data: { userId: user.id, available: 10_000_000 } });
      // Seed the ledger so sums still match balances (an "adjustment" entry, as an operator grant would be).
      await prisma.ledgerEntry.create({
        data: { accountId: user.id, type: 'adjustment', availableDelta: 10_000_000, reservedDelta: 0, idempotencyKey: `bench-grant:${user.id}` },
      });
      return user.id;
    }),
  );

  const rows: (string | number)[][] = [];
  for (const scenario of ['one account', '64 accounts'] as const) {
    for (const concurrency of CONCURRENCY) {
      let turn = 0;
      const { latencies, seconds } = await measure(concurrency, OPS_PER_RUN, async (worker) => {
        turn += 1;
        const accountId = scenario === 'one account' ? (accounts[0] as string) : (accounts[(worker + turn) % accounts.length] as string);
        await ledger.reserve({ accountId, executionId: randomUUID(), amount: 1 });
      });
      rows.push([scenario, concurrency, latencies.length, Math.round(latencies.length / seconds), percentile(latencies, 50).toFixed(1), percentile(latencies, 99).toFixed(1)]);
      console.log(rows.at(-1)?.join('\t'));
    }
  }

  // The invariant still holds after the storm.
  const [check] = await prisma.$queryRaw<{ bad: bigint }[]>`
    SELECT count(*) AS bad FROM credit_accounts a
     WHERE a.available <> (SELECT coalesce(sum(available_delta), 0) FROM ledger_entries e WHERE e.account_id = a.user_id)
        OR a.reserved  <> (SELECT coalesce(sum(reserved_delta), 0)  FROM ledger_entries e WHERE e.account_id = a.user_id)`;
  if (Number(check?.bad) !== 0) throw new Error('ledger sums differ from balances after the benchmark');

  const table = markdownTable(['scenario', 'concurrency', 'reservations', 'per second', 'p50 ms', 'p99 ms'], rows);
  console.log(`\n${table}`);
  writeBenchmarkSection(
    'reservations',
    `## Credit reservations (\`bench/reservations.ts\`)\n\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine()}; Postgres ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded (18)'} on the same machine, pool of 32 connections. Each reservation is a look-up of the execution id, then one SQL statement (conditional balance UPDATE, hold INSERT, ledger INSERT in a CTE; the account row lock serialises holds on one account). After the run every balance still equals its ledger sums.\n\n${table}\n`,
  );
  await prisma.$disconnect();
  await db.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
