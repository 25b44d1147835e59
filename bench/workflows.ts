// Baselines for bench/executions.ts, run by a bare worker in the load generator's process.
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface BaselineActivities {
  noop(): Promise<void>;
  modelLatency(ms: number): Promise<void>;
}

const { noop, modelLatency } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

/** The issue-4 baseline: the same number of activities as a tool run (start, reserve, model call, capture, finish). */
export async function bareWorkflow(latencyMs: number): Promise<void> {
  await noop();
  await noop();
  await modelLatency(latencyMs);
  await noop();
  await noop();
}

/** Answers once the model step is done; the caller starts the workflow and waits on this in one call. */
export const finishedUpdate = defineUpdate<void>('finished');

/**
 * The issue-15 baseline, the least Temporal work a durable run with a retention timer needs: one
 * activity waiting the model's latency, the caller waiting on an update (update-with-start), and
 * one timer kept running afterwards for the record's retention.
 */
export async function minimalRunWorkflow(latencyMs: number, retentionMs: number): Promise<void> {
  let done = false;
  setHandler(finishedUpdate, () => condition(() => done));
  await modelLatency(latencyMs);
  done = true;
  await sleep(retentionMs);
}

export async function emptyWorkflow(): Promise<void> {}
