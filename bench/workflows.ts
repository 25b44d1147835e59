// The bare-Temporal baseline: the same number of activities as a tool run
// (start, reserve, model call, capture, finish), doing nothing but waiting
// for the model's latency in the third.
import { proxyActivities } from '@temporalio/workflow';

export interface BaselineActivities {
  noop(): Promise<void>;
  modelLatency(ms: number): Promise<void>;
}

const { noop, modelLatency } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30s' });

export async function bareWorkflow(latencyMs: number): Promise<void> {
  await noop();
  await noop();
  await modelLatency(latencyMs);
  await noop();
  await noop();
}

export async function emptyWorkflow(): Promise<void> {}
