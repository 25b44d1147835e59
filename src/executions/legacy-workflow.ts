// The tool-run workflow of runs started before runToolWorkflowV2 (src/executions/workflows.ts),
// kept with its commands unchanged so that those runs, asleep on their records' retention timers for up to
// EXECUTION_RETENTION, still replay and end. No new run starts it: once the last run it started
// has expired (90 days after the release that introduced V2), this file and its recorded
// histories can go.
//
// One tool run, from admission to settlement and on to the end of its record:
//   hold the price (or accept the BYOM run) → answer the admission update →
//   call the model (bounded, classified retries) → capture the cost, release the rest →
//   answer the outcome update → sleep until the record expires → delete it.
// Any failure, timeout or cancellation after the hold releases all of it, and
// a run that produced no output is never charged. Only ids and numbers pass
// through here: inputs, outputs and keys stay in Postgres, encrypted.
import {
  CancellationScope,
  condition,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { purgeNowSignal, retentionQuery, retentionWorkflowId, type RetentionState } from '../retention/contract';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { executionRetentionWorkflow } from '../retention/workflows';
import {
  admissionUpdate,
  executionPhaseQuery,
  MODEL_FAILURE_TYPES,
  outcomeUpdate,
  type Admission,
  type ExecutionOutcome,
  type ExecutionPhase,
  type RunToolInput,
} from './contract';
import { bookkeepingOptions, failureOf } from './workflow-shared';

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
/**
 * One workflow per record: after settling, the run's workflow itself keeps the record's retention
 * timer and deletes the record at expiry, and the caller waits on the outcome update instead of the
 * workflow's result. Histories recorded before this started a child retention workflow per run
 * (a second workflow, its own history and tasks: docs/BENCHMARKS.md, "Tool runs").
 */
const ONE_WORKFLOW_PER_RECORD_PATCH = 'one-workflow-per-record';
const remoteBookkeeping = proxyActivities<Activities>(bookkeepingOptions);
const { purgeExecutionData } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '10m' }, // retried until it succeeds: data must go
});
const localBookkeeping = proxyLocalActivities<Activities>(bookkeepingOptions);

export async function runToolWorkflow(input: RunToolInput): Promise<ExecutionOutcome> {
  let admission: Admission | undefined;
  let outcome: ExecutionOutcome | undefined;
  let phase: ExecutionPhase = 'pending';
  setHandler(admissionUpdate, async () => {
    await condition(() => admission !== undefined);
    return admission as Admission;
  });
  setHandler(executionPhaseQuery, () => phase);
  const oneWorkflow = patched(ONE_WORKFLOW_PER_RECORD_PATCH);
  const retention: RetentionState = { executionId: input.executionId, expiresAt: input.expiresAt ?? '', purgedAt: null };
  let purgeRequested = false;
  if (oneWorkflow) {
    // Answered after a cancellation too: the cancelled run still settles first.
    setHandler(outcomeUpdate, async () => {
      await CancellationScope.nonCancellable(() => condition(() => outcome !== undefined));
      return outcome as ExecutionOutcome;
    });
    setHandler(purgeNowSignal, () => {
      purgeRequested = true;
    });
    setHandler(retentionQuery, () => retention);
  }
  /**
   * The settled run's answer, then the record's life: sleep until it expires (or until the user
   * deletes it or an erasure ends it: the purgeNow signal), then delete it. A cancellation (an
   * erasure stopping the run) has done its work once the run is settled: the record is kept to
   * its expiry like any failed run's, so the wait is not cancellable.
   */
  const settle = async (result: ExecutionOutcome): Promise<ExecutionOutcome> => {
    outcome = result;
    if (!oneWorkflow || !input.expiresAt) {
      await retentionTimer;
      return result;
    }
    await CancellationScope.nonCancellable(async () => {
      // Date.now() is Temporal's deterministic workflow clock here.
      const remaining = Date.parse(input.expiresAt!) - Date.now();
      if (remaining > 0) await condition(() => purgeRequested, remaining);
      await purgeExecutionData(input.executionId);
    });
    retention.purgedAt = new Date(Date.now()).toISOString();
    return result;
  };
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
  let retentionTimer = !oneWorkflow && !refusedRunLeavesNothing && input.expiresAt && patched(RETENTION_TIMER_PATCH) ? startRetentionTimer() : undefined;

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
  if (refusedRunLeavesNothing && !oneWorkflow) retentionTimer = startRetentionTimer();

  try {
    enter('calling_model');
    const usage = await callModel(executionId);
    enter('settling');
    // The activity prices the usage at the price stored on the run at admission (a BYOM run pays
    // its held platform fee) and captures that, releasing the rest: no price table lives here.
    const cost = held > 0 ? (await bookkeeping.captureCredits({ executionId, usage })).captured : 0;
    await bookkeeping.finishExecution({ executionId, status: 'succeeded', costCredits: cost });
    enter('succeeded');
    return await settle({ status: 'succeeded', costCredits: cost });
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
    return await settle({ status: 'failed', costCredits: 0, errorCode: code });
  }
}
