// What each part of a tool run's Temporal shape costs (issue 15): the minimal durable run, then
// the parts runToolWorkflowV2 adds to it, one at a time, in interleaved rounds against one tuned
// dev server (in memory, as the other benches): the search attributes a run starts with, its two
// local activities (admission, settlement), and its status search attribute written once or twice.
// No database, no API, no model: only what the Temporal server and the SDK are asked. The worker
// and the client are this process. Concurrency 32, 0 ms model, as the tool-run target's row.
//   BENCH_ANATOMY_RUNS=300 node --import tsx bench/run-anatomy.ts
import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort, startTemporalDevServer } from '../scripts/lib/dev-services';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/temporal/search-attributes';
import { machine, markdownTable, measure, writeBenchmarkSection } from './lib';
import { finishedUpdate, runShapeWorkflow } from './workflows';
import { cpuSeconds } from './processes';

const RUNS = Number(process.env.BENCH_ANATOMY_RUNS ?? 300);
const ROUNDS = 3;
const CONCURRENCY = 32;
const RETENTION_MS = 90 * 86_400_000;

interface Variant {
  name: string;
  startAttributes: boolean;
  locals: number;
  upserts: number;
}

/** Each row adds one part to the row above; the last is a tool run's whole Temporal shape. */
const VARIANTS: Variant[] = [
  { name: 'the minimal durable run (one activity, update-with-start, one timer)', startAttributes: false, locals: 0, upserts: 0 },
  { name: '+ the four search attributes a run starts with', startAttributes: true, locals: 0, upserts: 0 },
  { name: '+ two local activities (admission, settlement)', startAttributes: true, locals: 2, upserts: 0 },
  { name: '+ the status written at the end (one upsert)', startAttributes: true, locals: 2, upserts: 1 },
  { name: "+ the status written before the model call too (two upserts: a tool run's shape)", startAttributes: true, locals: 2, upserts: 2 },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const server = await startTemporalDevServer({ port: await freePort(), headless: true });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `bench-anatomy-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: { noop: async () => undefined, modelLatency: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) },
  });
  const running = worker.run();
  const run = (v: Variant) => {
    const id = randomUUID();
    const typedSearchAttributes: SearchAttributePair[] | undefined = v.startAttributes
      ? [
          { key: SEARCH_ATTRIBUTE_KEYS.toolId, value: randomUUID() },
          { key: SEARCH_ATTRIBUTE_KEYS.executionId, value: id },
          { key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: 'pending' },
          { key: SEARCH_ATTRIBUTE_KEYS.expiresAt, value: new Date(Date.now() + RETENTION_MS) },
        ]
      : undefined;
    return client.workflow.executeUpdateWithStart(finishedUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(runShapeWorkflow, {
        workflowId: `anatomy-${id}`,
        taskQueue,
        workflowIdConflictPolicy: 'FAIL',
        args: [0, RETENTION_MS, v.locals, v.upserts],
        ...(typedSearchAttributes ? { typedSearchAttributes } : {}),
      }),
    });
  };
  const results = VARIANTS.map(() => ({ rate: [] as number[], serverCpu: [] as number[], clientCpu: [] as number[] }));
  try {
    for (const v of VARIANTS) await measure(8, 40, () => run(v)); // warm-up: bundle, task queue, connections
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [i, v] of VARIANTS.entries()) {
        const server0 = cpuSeconds(server.child.pid!);
        const self0 = cpuSeconds(process.pid);
        const sample = await measure(CONCURRENCY, RUNS, () => run(v));
        results[i]!.rate.push(sample.latencies.length / sample.seconds);
        results[i]!.serverCpu.push(((cpuSeconds(server.child.pid!) - server0) / RUNS) * 1000);
        results[i]!.clientCpu.push(((cpuSeconds(process.pid) - self0) / RUNS) * 1000);
        console.log(`round ${round + 1}: ${v.name}: ${(sample.latencies.length / sample.seconds).toFixed(1)} runs/s`);
      }
    }
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
  const minimalRate = median(results[0]!.rate);
  const rows = VARIANTS.map((v, i) => {
    const r = results[i]!;
    return [
      v.name,
      r.rate.map((x) => x.toFixed(1)).join(' / '),
      (median(r.rate) / minimalRate).toFixed(2),
      median(r.serverCpu).toFixed(1),
      median(r.clientCpu).toFixed(1),
    ];
  });
  const body = `### What each part of a run's Temporal shape costs (\`bench/run-anatomy.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}: one tuned dev server in memory (as the table above), the worker
and the client in the bench's process, no database, no API, no model (0 ms). Each row adds one part of runToolWorkflowV2's
Temporal shape to the row above it; the rows run in turn, ${ROUNDS} rounds of ${RUNS} runs each at concurrency ${CONCURRENCY}.
"÷ minimal" is the row's median rate over the minimal run's median rate; CPU is the median over the rounds, ms per run.

${markdownTable(['Temporal shape', `runs/s, rounds 1 / 2 / 3`, '÷ minimal', 'Temporal server CPU ms/run', 'worker and client CPU ms/run'], rows)}
`;
  console.log(body);
  writeBenchmarkSection('run-anatomy', body);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
