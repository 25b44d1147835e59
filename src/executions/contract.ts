// The executions feature's Temporal contract: what the API, the worker and
// the run's workflow agree on. Workflow id, input, the admission update, the
// phase query, payload and failure types.
// Pure TypeScript: bundled into workflow code.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ErrorCode } from '../errors';

export const executionWorkflowId = (executionId: string) => `tool-execution-${executionId}`;

export interface RunToolInput {
  executionId: string;
  /** Model call limits (configuration, passed in because workflow code reads no environment). */
  modelTimeoutMs: number;
  modelAttempts: number;
  modelRetryInitialMs: number;
  /** When the record's data must be destroyed (ISO); starts its retention timer. */
  expiresAt?: string;
}

/** What the run's record says it needs, read by the first activity. */
export interface RunPlan {
  accountId: string;
  toolId: string;
  model: string;
  reservedCredits: number;
  byom: boolean;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * What the model call answers: its token usage and what the run owes for it, priced at the price
 * stored on the run at admission (read with the run, so settlement needs no read of its own).
 * `costCredits` is absent from the results of calls recorded before it was answered.
 */
export interface ModelCallResult extends TokenUsage {
  costCredits?: number;
}

/** The answer to "may this run start?": credits held (or BYOM key checked), or why not. */
export type Admission = { admitted: true } | { admitted: false; code: string; message: string };

/**
 * The refusals admission may answer with (the client is told why). Any other
 * code is a bug in the run, not an answer for the client.
 */
export const ADMISSION_REFUSALS = ['insufficient_credits', 'account_under_review'] as const satisfies readonly ErrorCode[];

/** Update-with-start: the API learns the admission in the same request that starts the run. */
export const admissionUpdate = defineUpdate<Admission>('admission');

/**
 * Waits for the run's settlement and answers its outcome (at once if settled). Runs started since
 * the record's retention moved into the run's own workflow answer it; the caller stops waiting at
 * its own deadline (`waitSeconds`).
 */
export const outcomeUpdate = defineUpdate<ExecutionOutcome>('outcome');

/**
 * Update-with-start for a caller that waits (`waitSeconds`): the admission and, once admitted, the
 * outcome in one answer, so a waiting run costs one update (and one workflow task fewer) instead of
 * the admission update followed by the outcome update. Answered by runToolWorkflowV2.
 */
export const admissionAndOutcomeUpdate = defineUpdate<{ admission: Admission; outcome?: ExecutionOutcome }>('admission-and-outcome');

export type ExecutionPhase = 'pending' | 'reserving' | 'calling_model' | 'settling' | 'succeeded' | 'failed';
/** Where a run is now (also mirrored in the ToolRunStatus search attribute). */
export const executionPhaseQuery = defineQuery<ExecutionPhase>('phase');

export interface ExecutionOutcome {
  status: 'succeeded' | 'failed';
  costCredits: number;
  errorCode?: string;
}

/** Failure types of the model call that no retry can fix. */
export const MODEL_FAILURE_TYPES = ['invalid_provider_key', 'provider_key_deleted', 'model_rejected_request', 'tool_deleted', 'execution_not_found'] as const;
