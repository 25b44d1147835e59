// Activities of the credits workflows: thin wrappers over the idempotent
// ledger. Its refusals become non-retryable failures whose type is the code.
import type { Ledger } from './ledger';
import { refusalsAsFailures } from '../temporal/refusals';
import type { ClawbackOutcome, PurchaseOutcome } from './contract';

export function createCreditActivities(ledger: Ledger) {
  return {
    reserveCredits(input: { accountId: string; executionId: string; amount: number; toolId?: string }) {
      return refusalsAsFailures(() => ledger.reserve(input).then((r) => ({ amount: r.amount, expiresAt: r.expiresAt.toISOString() })));
    },
    releaseCredits(input: { executionId: string }) {
      return refusalsAsFailures(() => ledger.release(input.executionId));
    },
    creditPurchase(checkoutSessionId: string): Promise<PurchaseOutcome> {
      return refusalsAsFailures(() => ledger.creditPurchase(checkoutSessionId));
    },
    applyClawbacks(paymentIntentId: string): Promise<ClawbackOutcome> {
      return refusalsAsFailures(() => ledger.applyClawbacks(paymentIntentId));
    },
    releaseExpiredReservations() {
      return refusalsAsFailures(() => ledger.releaseExpired());
    },
  };
}
