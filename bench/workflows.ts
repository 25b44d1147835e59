// Baselines for bench/executions.ts, run by a bare worker in the load generator's process.
import { condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/temporal/search-attributes';

export interface BaselineActivities {
  noop(): Promise<void>;
  modelLatency(ms: number): Promise<void>;
}

const { noop, modelLatency } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });
const local = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

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

/**
 * The minimal durable run with the parts of a tool run's Temporal shape added one at a time
 * (bench/run-anatomy.ts): `locals` no-op local activities (runToolWorkflowV2's admission before the
 * model call and settlement after it) and `upserts` writes of the ToolRunStatus search attribute
 * (2: calling_model, then the end, as the run does; 1: the end only). The search attributes a tool
 * run starts with are the caller's to send.
 */
export async function runShapeWorkflow(latencyMs: number, retentionMs: number, locals: number, upserts: number): Promise<void> {
  let done = false;
  setHandler(finishedUpdate, () => condition(() => done));
  if (locals > 0) await local.noop();
  if (upserts > 1) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: 'calling_model' }]);
  await modelLatency(latencyMs);
  if (locals > 1) await local.noop();
  if (upserts > 0) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: 'succeeded' }]);
  done = true;
  await sleep(retentionMs);
}

export async function emptyWorkflow(): Promise<void> {}
