// Credit activities: thin wrappers over the ledger. Every ledger operation is
// idempotent by its own unique key, so Temporal's retries are safe; business
// refusals become non-retryable failures whose type is the refusal's code.
import { ApplicationFailure } from '@temporalio/activity';
import { LedgerError, type Ledger } from '../credits/ledger';

async function refusalsAsFailures<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    if (err instanceof LedgerError) throw ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true });
    throw err; // transient (database down, ...): Temporal retries
  }
}

export function createCreditActivities(ledger: Ledger) {
  return {
    reserveCredits(input: { accountId: string; executionId: string; amount: number; toolId?: string }) {
      return refusalsAsFailures(() => ledger.reserve(input).then((r) => ({ amount: r.amount, expiresAt: r.expiresAt.toISOString() })));
    },
    captureCredits(input: { executionId: string; actual: number }) {
      return refusalsAsFailures(() => ledger.capture(input.executionId, input.actual));
    },
    releaseCredits(input: { executionId: string }) {
      return refusalsAsFailures(() => ledger.release(input.executionId));
    },
    creditPurchase(checkoutSessionId: string) {
      return refusalsAsFailures(() => ledger.creditPurchase(checkoutSessionId));
    },
    applyClawbacks(paymentIntentId: string) {
      return refusalsAsFailures(() => ledger.applyClawbacks(paymentIntentId));
    },
    releaseExpiredReservations() {
      return refusalsAsFailures(() => ledger.releaseExpired());
    },
  };
}
