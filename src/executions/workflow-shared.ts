// What both tool-run workflows share (runToolWorkflowV2 in workflows.ts, and the legacy
// runToolWorkflow kept for runs started before it): the bookkeeping steps' options and how a
// failed step is told to the run's record and its caller. Workflow code: deterministic, bundled.
import { ActivityFailure, type ActivityOptions, ApplicationFailure, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { LEDGER_FAILURE_TYPES } from '../credits/contract';
import { MODEL_FAILURE_TYPES } from './contract';

/** The short database steps (start, hold, capture, release, finish): bounded, and never retried on a ledger's or model's refusal. */
export const bookkeepingOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s', nonRetryableErrorTypes: [...LEDGER_FAILURE_TYPES, ...MODEL_FAILURE_TYPES] },
};

/** What a failed step says to the run's record and its caller. */
export function failureOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'failed', message: cause.message };
  if (isCancellation(err)) return { code: 'cancelled', message: 'the run was cancelled' };
  // The activity's own time limit ran out (the model call hung past even the client's timeout).
  if (cause instanceof TimeoutFailure) return { code: 'model_timeout', message: 'the model did not answer in time' };
  return { code: 'failed', message: 'the run failed' };
}
