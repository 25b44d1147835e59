// Operator credit adjustments: credits without Stripe (demo accounts, goodwill,
// corrections), each one audited (operator, reason, time) and explained by an
// `adjustment` entry in the ledger. Used by the admin route, `npm run credits`
// and the demo seed.
import type { PrismaClient } from '@prisma/client';
import { AppError, notFound } from '../api/errors';
import { LedgerError, type Ledger } from './ledger';

export interface AdjustmentRequest {
  credits: number;
  reason: string;
  /** Who asked: "user:<admin id>", "cli:<os user>", "seed". */
  operator: string;
  /** Makes a retried request a no-op (scoped by the caller, e.g. "api:<admin id>:<Idempotency-Key>"). */
  requestKey: string;
}

const REFUSALS: Partial<Record<string, [number, string]>> = {
  adjustment_exceeds_balance: [409, 'adjustment_exceeds_balance'],
  adjustment_key_reused: [409, 'idempotency_key_reused'],
  invalid_amount: [400, 'validation_failed'],
};

export function createAdjustmentService(prisma: PrismaClient, ledger: Ledger) {
  async function adjust(userId: string, request: AdjustmentRequest) {
    if (!(await prisma.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw notFound('user');
    try {
      const { adjustment, created } = await ledger.adjust({ accountId: userId, ...request });
      return { adjustment, created, balance: await ledger.balance(userId) };
    } catch (err) {
      const refusal = err instanceof LedgerError ? REFUSALS[err.code] : undefined;
      if (refusal) throw new AppError(refusal[0], refusal[1], err instanceof Error ? err.message : 'refused');
      throw err;
    }
  }

  return {
    adjust,
    async adjustByEmail(email: string, request: AdjustmentRequest) {
      const user = await prisma.user.findUnique({ where: { email: email.trim().toLowerCase() }, select: { id: true } });
      if (!user) throw notFound(`account ${email}`);
      return { userId: user.id, ...(await adjust(user.id, request)) };
    },
  };
}

export type AdjustmentService = ReturnType<typeof createAdjustmentService>;
