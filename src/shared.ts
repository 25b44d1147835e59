// What the API, the worker and workflow code share: task queues, workflow
// ids, search attributes, failure types, and signal / query / update definitions.
// Pure TypeScript with no Node imports: it is bundled into workflow code.

/** Search attributes registered on the Temporal server (start-dev --search-attribute). */
export const SEARCH_ATTRIBUTES = {
  ToolId: 'Keyword',
  ExecutionId: 'Keyword',
  ToolRunStatus: 'Keyword',
  ExpiresAt: 'Datetime',
} as const;

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
] as const;

export type LedgerFailureType = (typeof LEDGER_FAILURE_TYPES)[number];

/** Workflow ids derive from the business key, so a duplicate trigger finds the existing run. */
export const workflowIds = {
  purchase: (checkoutSessionId: string) => `credit-purchase-${checkoutSessionId}`,
  clawback: (stripeEventId: string) => `credit-clawback-${stripeEventId}`,
};

export const SCHEDULE_IDS = {
  releaseExpiredReservations: 'release-expired-reservations',
} as const;
