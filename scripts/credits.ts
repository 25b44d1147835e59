// Operator command: credits without Stripe, audited like every adjustment
// (operator "cli:<os user>", the reason, and an `adjustment` ledger entry).
//   npm run credits -- grant alice@example.com 500 --reason "beta tester"
//   npm run credits -- take alice@example.com 100 --reason "duplicate grant" [--key <idempotency key>]
// --key makes a retried command a no-op (default: a fresh key, so each call adjusts).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createPrisma } from '../src/db';
import { createLedger } from '../src/credits/ledger';
import { createAdjustmentService } from '../src/credits/adjustments';
import { DomainError } from '../src/errors';

const USAGE = 'usage: npm run credits -- grant|take <email> <credits> --reason "<why>" [--key <idempotency key>]';

async function main(argv: string[]) {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' }, key: { type: 'string' } } });
  const [action, email, amount] = positionals;
  const credits = Number(amount);
  if ((action !== 'grant' && action !== 'take') || !email || !Number.isInteger(credits) || credits <= 0 || !values.reason?.trim()) {
    console.error(USAGE);
    process.exitCode = 2;
    return;
  }
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set');
  const prisma = createPrisma(process.env.DATABASE_URL, 1);
  try {
    const adjustments = createAdjustmentService(prisma, createLedger(prisma, { reservationTtlMs: 15 * 60_000 }));
    const result = await adjustments.adjustByEmail(email, {
      credits: action === 'grant' ? credits : -credits,
      reason: values.reason.trim(),
      operator: `cli:${os.userInfo().username}`,
      requestKey: `cli:${values.key ?? randomUUID()}`,
    });
    const verb = result.created ? (action === 'grant' ? 'granted' : 'took back') : 'already applied (same --key):';
    console.log(`${email}: ${verb} ${credits} credits; available ${result.balance.available}, reserved ${result.balance.reserved}`);
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof DomainError ? `${err.code}: ${err.message}` : (err as Error).message);
    process.exit(1);
  });
}
