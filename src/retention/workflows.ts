// Retention: one timer per execution record. The workflow sleeps until the
// record's expiry (90 days by default) and then deletes the record (inputs,
// output and metadata); a `purgeNow` signal (the user deleting the run) ends
// the wait early.
// A scheduled sweep catches anything a timer missed.
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { purgeNowSignal, retentionQuery, type RetentionInput, type RetentionState } from './contract';

const { purgeExecutionData, sweepExpiredExecutions } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '10m' }, // retried until it succeeds: data must go
});

export async function executionRetentionWorkflow(input: RetentionInput): Promise<RetentionState> {
  const state: RetentionState = { executionId: input.executionId, expiresAt: input.expiresAt, purgedAt: null };
  let purgeRequested = false;
  setHandler(purgeNowSignal, () => {
    purgeRequested = true;
  });
  setHandler(retentionQuery, () => state);

  // Date.now() is Temporal's deterministic workflow clock here.
  const remaining = Date.parse(input.expiresAt) - Date.now();
  if (remaining > 0) await condition(() => purgeRequested, remaining);
  await purgeExecutionData(input.executionId);
  state.purgedAt = new Date(Date.now()).toISOString();
  return state;
}

/** Run by a Temporal Schedule (daily by default): the safety net behind the per-record timers. */
export async function sweepExpiredExecutionsWorkflow(): Promise<number> {
  return sweepExpiredExecutions();
}
