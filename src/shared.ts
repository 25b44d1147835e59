// What the API, the worker and workflow code share: task queues, workflow
// ids, search attributes, failure types, and signal / query / update definitions.
// Pure TypeScript with no Node imports: it is bundled into workflow code.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
  sweepExpiredExecutions: 'sweep-expired-executions',
} as const;

// --- Tool executions ---------------------------------------------------------

export const executionWorkflowId = (executionId: string) => `tool-execution-${executionId}`;

export const SEARCH_ATTRIBUTE_KEYS = {
  toolId: defineSearchAttributeKey('ToolId', SearchAttributeType.KEYWORD),
  executionId: defineSearchAttributeKey('ExecutionId', SearchAttributeType.KEYWORD),
  toolRunStatus: defineSearchAttributeKey('ToolRunStatus', SearchAttributeType.KEYWORD),
  expiresAt: defineSearchAttributeKey('ExpiresAt', SearchAttributeType.DATETIME),
};

/** The answer to "may this run start?": credits held (or BYOM key checked), or why not. */
export type Admission = { admitted: true } | { admitted: false; code: string; message: string };

/** Update-with-start: the API learns the admission in the same request that starts the run. */
export const admissionUpdate = defineUpdate<Admission>('admission');

export type ExecutionPhase = 'pending' | 'reserving' | 'calling_model' | 'settling' | 'succeeded' | 'failed';
export const executionPhaseQuery = defineQuery<ExecutionPhase>('phase');

export interface ExecutionOutcome {
  status: 'succeeded' | 'failed';
  costCredits: number;
  errorCode?: string;
}

/** Failure types of the model call that no retry can fix. */
export const MODEL_FAILURE_TYPES = ['invalid_provider_key', 'model_rejected_request', 'tool_deleted', 'execution_not_found'] as const;

/**
 * What a run costs: its token usage at the model's price (credits per 1,000
 * tokens, rounded up, at least 1), never more than the credits held for it.
 */
export function costOfRun(
  price: { creditsPer1kInputTokens: number; creditsPer1kOutputTokens: number },
  usage: { promptTokens: number; completionTokens: number },
  held: number,
): number {
  const raw = (usage.promptTokens * price.creditsPer1kInputTokens + usage.completionTokens * price.creditsPer1kOutputTokens) / 1000;
  return Math.min(held, Math.max(1, Math.ceil(raw)));
}

// --- Retention ---------------------------------------------------------------

export const retentionWorkflowId = (executionId: string) => `execution-retention-${executionId}`;

/** Early deletion by the user: purge now instead of at expiry. */
export const purgeNowSignal = defineSignal('purgeNow');

export interface RetentionState {
  executionId: string;
  expiresAt: string;
  purgedAt: string | null;
}
/** When will (or did) this record's data be destroyed? */
export const retentionQuery = defineQuery<RetentionState>('retention');
