// Operator command: credits without Stripe, audited like every adjustment
// (operator "cli:<os user>", the reason, and an `adjustment` ledger entry).
//   npm run credits -- grant alice@example.com 500 --reason "beta tester"
//   npm run credits -- take alice@example.com 100 --reason "duplicate grant" [--key <idempotency key>]
// --key makes a retried command a no-op (default: a fresh key, so each call adjusts).
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createLedger } from '../src/credits/ledger';
import { createAdjustmentService } from '../src/credits/adjustments';
import { accountIdByEmail, runCommand, UsageError } from './lib/cli';

const USAGE = 'usage: npm run credits -- grant|take <email> <credits> --reason "<why>" [--key <idempotency key>]';

runCommand(module, async (prisma, argv) => {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' }, key: { type: 'string' } } });
  const [action, email, amount] = positionals;
  const credits = Number(amount);
  if ((action !== 'grant' && action !== 'take') || !email || !Number.isInteger(credits) || credits <= 0 || !values.reason?.trim()) throw new UsageError(USAGE);
  const adjustments = createAdjustmentService(prisma, createLedger(prisma, { reservationTtlMs: 15 * 60_000 }));
  const result = await adjustments.adjust(await accountIdByEmail(prisma, email), {
    credits: action === 'grant' ? credits : -credits,
    reason: values.reason.trim(),
    operator: `cli:${os.userInfo().username}`,
    requestKey: `cli:${values.key ?? randomUUID()}`,
  });
  const verb = result.created ? (action === 'grant' ? 'granted' : 'took back') : 'already applied (same --key):';
  return `${email}: ${verb} ${credits} credits; available ${result.balance.available}, reserved ${result.balance.reserved}`;
});
