// Operators' actions on credit accounts, each one audited (operator, reason, time):
// - adjustments: credits without Stripe (demo accounts, goodwill, corrections),
//   explained by an `adjustment` entry in the ledger. Used by the admin route,
//   `npm run credits` and the demo seed;
// - clearing a fraud review (after a dispute or an unrecoverable refund), so paid
//   runs resume: `npm run accounts -- clear-review`, recorded in operator_actions.
import type { PrismaClient } from '@prisma/client';
import { notFound } from '../errors';
import type { Ledger } from './ledger';

export interface AdjustmentRequest {
  credits: number;
  reason: string;
  /** Who asked: "user:<admin id>", "cli:<os user>", "seed". */
  operator: string;
  /** Makes a retried request a no-op (scoped by the caller, e.g. "api:<admin id>:<Idempotency-Key>"). */
  requestKey: string;
}

export function createAdjustmentService(prisma: PrismaClient, ledger: Ledger) {
  async function adjust(userId: string, request: AdjustmentRequest) {
    if (!(await prisma.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw notFound('user');
    const { adjustment, created } = await ledger.adjust({ accountId: userId, ...request });
    return { adjustment, created, balance: await ledger.balance(userId) };
  }

  /** Lifts the review flag of an account, with the operator's reason; a no-op (and no record) when not under review. */
  async function clearReview(userId: string, request: { operator: string; reason: string }) {
    return prisma.$transaction(async (tx) => {
      const [account] = await tx.$queryRaw<{ fraud_flagged_at: Date | null; fraud_reason: string | null }[]>`
        SELECT fraud_flagged_at, fraud_reason FROM credit_accounts WHERE user_id = ${userId}::uuid FOR UPDATE`;
      if (!account?.fraud_flagged_at) return { cleared: false as const };
      await tx.creditAccount.update({ where: { userId }, data: { fraudFlaggedAt: null, fraudReason: null } });
      const action = await tx.operatorAction.create({
        data: { userId, operator: request.operator, action: 'clear_review', reason: request.reason, detail: account.fraud_reason },
      });
      return { cleared: true as const, flaggedAt: account.fraud_flagged_at, flaggedFor: account.fraud_reason, action };
    });
  }

  return {
    adjust,
    clearReview,
  };
}

export type AdjustmentService = ReturnType<typeof createAdjustmentService>;
