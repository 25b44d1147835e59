// One tool run, from admission to settlement and on to the end of its record:
//   mark it running and hold the price (or accept the BYOM run) → answer the admission update →
//   call the model (bounded, classified retries) → capture the cost, release the rest and record
//   the end → answer the outcome update → sleep until the record expires → delete it.
// Any failure, timeout or cancellation after the hold releases all of it, and
// a run that produced no output is never charged. Only ids and numbers pass
// through here: inputs, outputs and keys stay in Postgres, encrypted.
//
// The least the Temporal server can be asked for a durable, metered run with a retention timer:
// one workflow per record, one activity (the model call, which may take minutes and is retried on
// its own), the bookkeeping before and after it as one local activity each (in the worker, no
// server round trip), the ToolRunStatus search attribute written twice (calling_model, then the
// end; the API sets pending at start), and no patch markers. Runs started before this shape run
// `runToolWorkflow` (legacy-workflow.ts) to their end. docs/BENCHMARKS.md, "Tool runs", measures both.
import {
  CancellationScope,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { purgeNowSignal, retentionQuery, type RetentionState } from '../retention/contract';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import {
  admissionAndOutcomeUpdate,
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

export { runToolWorkflow } from './legacy-workflow';

const bookkeeping = proxyLocalActivities<Activities>(bookkeepingOptions);
const { purgeExecutionData } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '10m' }, // retried until it succeeds: data must go
});

export async function runToolWorkflowV2(input: RunToolInput): Promise<ExecutionOutcome> {
  const { executionId } = input;
  let admission: Admission | undefined;
  let outcome: ExecutionOutcome | undefined;
  let phase: ExecutionPhase = 'pending';
  let purgeRequested = false;
  const retention: RetentionState = { executionId, expiresAt: input.expiresAt ?? '', purgedAt: null };
  setHandler(admissionUpdate, async () => {
    await condition(() => admission !== undefined);
    return admission as Admission;
  });
  // Answered after a cancellation too: the cancelled run still settles first.
  setHandler(outcomeUpdate, async () => {
    await CancellationScope.nonCancellable(() => condition(() => outcome !== undefined));
    return outcome as ExecutionOutcome;
  });
  // The admission, and the outcome once admitted: answered after a cancellation too, as the outcome is.
  // (A handler is no command: histories recorded before it replay unchanged.)
  setHandler(admissionAndOutcomeUpdate, async () => {
    await CancellationScope.nonCancellable(() => condition(() => admission !== undefined && (!admission.admitted || outcome !== undefined)));
    return { admission: admission as Admission, ...(outcome ? { outcome } : {}) };
  });
  setHandler(executionPhaseQuery, () => phase);
  setHandler(purgeNowSignal, () => {
    purgeRequested = true;
  });
  setHandler(retentionQuery, () => retention);

  /** The phase, for the query; `mirrored` phases also go to the ToolRunStatus search attribute (one history event each). */
  const enter = (next: ExecutionPhase, mirrored = true) => {
    phase = next;
    if (mirrored) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: next }]);
  };

  /**
   * The settled run's answer, then the record's life: sleep until it expires (or until the user
   * deletes it or an erasure ends it: the purgeNow signal), then delete it. A cancellation (an
   * erasure stopping the run) has done its work once the run is settled: the record is kept to
   * its expiry like any failed run's, so the wait is not cancellable.
   */
  const settled = async (result: ExecutionOutcome): Promise<ExecutionOutcome> => {
    outcome = result;
    if (!input.expiresAt) return result;
    await CancellationScope.nonCancellable(async () => {
      // Date.now() is Temporal's deterministic workflow clock here.
      const remaining = Date.parse(input.expiresAt!) - Date.now();
      if (remaining > 0) await condition(() => purgeRequested, remaining);
      await purgeExecutionData(executionId);
    });
    retention.purgedAt = new Date(Date.now()).toISOString();
    return result;
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

  // Admission: the record marked running and its price held, in one step. A refused run (no
  // credits, account under review) leaves nothing: its record, inputs included, is deleted before
  // the refusal is answered.
  let held: number;
  enter('reserving', false);
  try {
    held = (await bookkeeping.admitExecution(executionId)).reservedCredits;
  } catch (err) {
    const { code, message } = failureOf(err);
    enter('failed');
    await bookkeeping.discardRefusedExecution(executionId);
    admission = { admitted: false, code, message };
    return { status: 'failed', costCredits: 0, errorCode: code };
  }
  admission = { admitted: true };

  try {
    enter('calling_model');
    const usage = await callModel(executionId);
    enter('settling', false);
    // Prices the usage at the price stored on the run at admission (a BYOM run pays its held
    // platform fee), captures that, releases the rest and records the end: no price table lives here.
    const { costCredits } = await bookkeeping.settleExecution({ executionId, usage, held });
    enter('succeeded');
    return await settled({ status: 'succeeded', costCredits });
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
    return await settled({ status: 'failed', costCredits: 0, errorCode: code });
  }
}
