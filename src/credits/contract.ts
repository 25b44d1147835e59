// The credits feature's Temporal contract: workflow ids, the schedule, and the
// ledger refusals that come back from activities as failure types.
// Pure TypeScript: bundled into workflow code.
import type { ErrorCode } from '../errors';

/** Workflow ids derive from the business key, so a duplicate trigger finds the existing run. */
export const creditWorkflowIds = {
  purchase: (checkoutSessionId: string) => `credit-purchase-${checkoutSessionId}`,
  clawback: (stripeEventId: string) => `credit-clawback-${stripeEventId}`,
};

export const RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID = 'release-expired-reservations';

/** Ledger refusals, as ApplicationFailure types; none of them is worth a retry. */
export const LEDGER_FAILURE_TYPES = [
  'insufficient_credits',
  'account_under_review',
  'reservation_not_found',
  'reservation_settled',
  'reservation_mismatch',
  'capture_exceeds_reservation',
  'invalid_amount',
  'purchase_not_found',
] as const satisfies readonly ErrorCode[];

export type LedgerFailureType = (typeof LEDGER_FAILURE_TYPES)[number];

export interface PurchaseOutcome {
  credited: boolean;
  credits: number;
}

export interface ClawbackOutcome {
  applied: number;
  pending: boolean;
}
