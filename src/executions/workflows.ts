// One tool run, from admission to settlement:
//   hold the price (or accept the BYOM run) → answer the admission update →
//   call the model (bounded, classified retries) → capture the cost, release the rest.
// Any failure, timeout or cancellation after the hold releases all of it, and
// a run that produced no output is never charged. Only ids and numbers pass
// through here: inputs, outputs and keys stay in Postgres, encrypted.
import {
  ActivityFailure,
  type ActivityOptions,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LEDGER_FAILURE_TYPES } from '../credits/contract';
import { retentionWorkflowId } from '../retention/contract';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { executionRetentionWorkflow } from '../retention/workflows';
import {
  admissionUpdate,
  executionPhaseQuery,
  MODEL_FAILURE_TYPES,
  type Admission,
  type ExecutionOutcome,
  type ExecutionPhase,
  type RunToolInput,
} from './contract';

const bookkeepingOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', maximumInterval: '30s', nonRetryableErrorTypes: [...LEDGER_FAILURE_TYPES, ...MODEL_FAILURE_TYPES] },
};

/**
 * The short database steps (start, hold, capture, release, finish) run as local
 * activities: in the worker that runs the workflow task, with no round trip
 * through the Temporal server per step (docs/BENCHMARKS.md shows what that bought).
 * Histories recorded before this change used regular activities: `patched`
 * keeps them replaying the old way.
 */
const LOCAL_BOOKKEEPING_PATCH = 'local-bookkeeping-activities';
/** Runs recorded before retention timers existed start none (the sweep covers them). */
const RETENTION_TIMER_PATCH = 'retention-timer-child';
/**
 * A run refused at admission (no credits) leaves nothing: its record, inputs
 * included, is deleted before the refusal is answered, and the retention timer
 * starts only once the run is admitted. Histories recorded before this started
 * the timer first and kept a failed record.
 */
const REFUSED_RUN_LEAVES_NOTHING_PATCH = 'refused-run-leaves-nothing';
const remoteBookkeeping = proxyActivities<Activities>(bookkeepingOptions);
const localBookkeeping = proxyLocalActivities<Activities>(bookkeepingOptions);

function failureOf(err: unknown): { code: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { code: cause.type ?? 'failed', message: cause.message };
  if (isCancellation(err)) return { code: 'cancelled', message: 'the run was cancelled' };
  // The activity's own time limit ran out (the model call hung past even the client's timeout).
  if (cause instanceof TimeoutFailure) return { code: 'model_timeout', message: 'the model did not answer in time' };
  return { code: 'failed', message: 'the run failed' };
}

export async function runToolWorkflow(input: RunToolInput): Promise<ExecutionOutcome> {
  let admission: Admission | undefined;
  let phase: ExecutionPhase = 'pending';
  setHandler(admissionUpdate, async () => {
    await condition(() => admission !== undefined);
    return admission as Admission;
  });
  setHandler(executionPhaseQuery, () => phase);
  const enter = (next: ExecutionPhase) => {
    phase = next;
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: next }]);
  };

  const { callModel } = proxyActivities<Activities>({
    startToCloseTimeout: input.modelTimeoutMs + 5_000,
    retry: {
      initialInterval: input.modelRetryInitialMs,
      backoffCoefficient: 2,
      maximumAttempts: input.modelAttempts,
      nonRetryableErrorTypes: [...MODEL_FAILURE_TYPES],
    },
  });
  const { executionId } = input;
  const bookkeeping = patched(LOCAL_BOOKKEEPING_PATCH) ? localBookkeeping : remoteBookkeeping;

  // The record's retention timer: a child that outlives this run (ABANDON) and
  // destroys the data at expiry. Started once the run is admitted and awaited
  // only before returning, so it adds nothing to the run's critical path. Should
  // the process die before that, the record exists and the retention sweep purges it.
  const startRetentionTimer = () =>
    input.expiresAt
      ? startChild(executionRetentionWorkflow, {
          workflowId: retentionWorkflowId(executionId),
          args: [{ executionId, expiresAt: input.expiresAt }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTE_KEYS.executionId, value: executionId },
            { key: SEARCH_ATTRIBUTE_KEYS.expiresAt, value: new Date(input.expiresAt) },
          ],
        })
      : undefined;
  const refusedRunLeavesNothing = patched(REFUSED_RUN_LEAVES_NOTHING_PATCH);
  let retentionTimer = !refusedRunLeavesNothing && input.expiresAt && patched(RETENTION_TIMER_PATCH) ? startRetentionTimer() : undefined;

  const plan = await bookkeeping.startExecution(executionId);
  const held = plan.reservedCredits;
  enter('reserving');
  if (held > 0) {
    try {
      await bookkeeping.reserveCredits({ accountId: plan.accountId, executionId, amount: held, toolId: plan.toolId });
    } catch (err) {
      const { code, message } = failureOf(err);
      if (refusedRunLeavesNothing) {
        enter('failed');
        await bookkeeping.discardRefusedExecution(executionId);
        admission = { admitted: false, code, message };
        return { status: 'failed', costCredits: 0, errorCode: code };
      }
      admission = { admitted: false, code, message };
      enter('failed');
      await bookkeeping.finishExecution({ executionId, status: 'failed', costCredits: 0, errorCode: code, errorMessage: message });
      await retentionTimer;
      return { status: 'failed', costCredits: 0, errorCode: code };
    }
  }
  admission = { admitted: true };
  if (refusedRunLeavesNothing) retentionTimer = startRetentionTimer();

  try {
    enter('calling_model');
    const usage = await callModel(executionId);
    enter('settling');
    // The activity prices the usage at the price stored on the run at admission (a BYOM run pays
    // its held platform fee) and captures that, releasing the rest: no price table lives here.
    const cost = held > 0 ? (await bookkeeping.captureCredits({ executionId, usage })).captured : 0;
    await bookkeeping.finishExecution({ executionId, status: 'succeeded', costCredits: cost });
    enter('succeeded');
    await retentionTimer;
    return { status: 'succeeded', costCredits: cost };
  } catch (err) {
    const failure = failureOf(err);
    // The hold was released by the expiry sweeper before the run could capture it (the run outlived
    // RESERVATION_TTL): nothing can be charged, so the run fails and keeps no output.
    const { code, message } =
      failure.code === 'reservation_settled' ? { code: 'hold_expired', message: 'the run outlived its credit hold; nothing was charged' } : failure;
    // Settle even if the run itself was cancelled.
    await CancellationScope.nonCancellable(async () => {
      if (held > 0) {
        try {
          await bookkeeping.releaseCredits({ executionId });
        } catch (releaseError) {
          // Already settled (e.g. released by the expiry sweeper): nothing left to give back.
          if (failureOf(releaseError).code !== 'reservation_settled') throw releaseError;
        }
      }
      await bookkeeping.finishExecution({ executionId, status: 'failed', costCredits: 0, errorCode: code, errorMessage: message });
    });
    enter('failed');
    await retentionTimer;
    return { status: 'failed', costCredits: 0, errorCode: code };
  }
}
