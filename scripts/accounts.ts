// Operator command on accounts, audited in operator_actions (operator "cli:<os user>", the reason).
//   npm run accounts -- clear-review alice@example.com --reason "dispute won; chargeback reversed"
// Clears the fraud review a dispute or an unrecoverable refund put on the account, so its paid runs
// resume (402 account_under_review until then).
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { PrismaClient } from '@prisma/client';
import { createLedger } from '../src/credits/ledger';
import { createAdjustmentService } from '../src/credits/adjustments';
import { accountIdByEmail, runCommand, UsageError } from './lib/cli';

const USAGE = 'usage: npm run accounts -- clear-review <email> --reason "<why>"';

/** Runs one command; returns the line to print, or throws. Exported for the test. */
export async function accountsCommand(prisma: PrismaClient, argv: string[], operator = `cli:${os.userInfo().username}`): Promise<string> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' } } });
  const [action, email] = positionals;
  const reason = values.reason?.trim();
  if (action !== 'clear-review' || !email || !reason || reason.length < 3) throw new UsageError(USAGE);
  const operators = createAdjustmentService(prisma, createLedger(prisma, { reservationTtlMs: 15 * 60_000 }));
  const result = await operators.clearReview(await accountIdByEmail(prisma, email), { operator, reason });
  if (!result.cleared) return `${email}: not under review; nothing changed`;
  return `${email}: review cleared (flagged ${result.flaggedAt.toISOString()} for "${result.flaggedFor ?? 'no reason recorded'}"); paid runs resume`;
}

runCommand(module, (prisma, argv) => accountsCommand(prisma, argv));
