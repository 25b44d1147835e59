// The Temporal dev server's options on this machine (issue 15, item 4): the same workloads
// against one dev server per option set, side by side in one run. Workloads: an empty workflow,
// start → result, one at a time; and the minimal durable run of bench/workflows.ts (one activity,
// the caller waiting on an update, one 90-day timer kept) at concurrency 1, 8 and 32. For each:
// the rate, the latency and the Temporal server's CPU per 1,000 workflows. The worker and the
// client are this process, the same for every option set.
//   BENCH_TEMPORAL_RUNS=160 node --import tsx bench/temporal-server.ts
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort, startTemporalDevServer, TEMPORAL_DEV_SERVER_TUNING, type TemporalDevServerOptions } from '../scripts/lib/dev-services';
import { machine, markdownTable, measure, percentile, writeBenchmarkSection, type Sample } from './lib';
import { emptyWorkflow, finishedUpdate, minimalRunWorkflow } from './workflows';
import { cpuSeconds } from './processes';

const RUNS = Number(process.env.BENCH_TEMPORAL_RUNS ?? 160);
const EMPTY = 60;
const CONCURRENCY = [1, 8, 32];
const RETENTION_MS = 90 * 86_400_000;

type Options = Pick<TemporalDevServerOptions, 'dbFile' | 'sqlitePragmas' | 'dynamicConfig'>;
const { dynamicConfig: QUEUE_POLLS, inMemoryDynamicConfig: ONE_PARTITION, sqlitePragmas: WAL } = TEMPORAL_DEV_SERVER_TUNING;

/** Each option set, with a file of its own where it keeps one. */
const OPTION_SETS: [string, (dir: string) => Options][] = [
  ['in memory, defaults (what tests and benches used)', () => ({ dynamicConfig: {} })],
  ['file (`--db-filename`), default pragmas (what `npm start` used)', (dir) => ({ dbFile: path.join(dir, 'a.sqlite'), sqlitePragmas: {}, dynamicConfig: {} })],
  ['file, `journal_mode=wal`, `synchronous=normal`', (dir) => ({ dbFile: path.join(dir, 'b.sqlite'), sqlitePragmas: WAL, dynamicConfig: {} })],
  ['in memory, one task-queue partition', () => ({ dynamicConfig: ONE_PARTITION })],
  ['in memory, history queues read up to 1,000 times a second', () => ({ dynamicConfig: QUEUE_POLLS })],
  ['**in memory, history queues 1,000/s and one partition** (now: tests, benches)', () => ({ dynamicConfig: { ...QUEUE_POLLS, ...ONE_PARTITION } })],
  ['**file, WAL, history queues 1,000/s** (now: `npm start`)', (dir) => ({ dbFile: path.join(dir, 'c.sqlite'), sqlitePragmas: WAL, dynamicConfig: QUEUE_POLLS })],
];

const rate = (s: Sample) => s.latencies.length / s.seconds;

async function measureOptionSet(options: Options) {
  const server = await startTemporalDevServer({ port: await freePort(), headless: true, ...options });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `bench-temporal-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: { noop: async () => undefined, modelLatency: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) },
  });
  const running = worker.run();
  try {
    const empty = () => client.workflow.execute(emptyWorkflow, { workflowId: `empty-${randomUUID()}`, taskQueue });
    const minimal = () =>
      client.workflow.executeUpdateWithStart(finishedUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation(minimalRunWorkflow, { workflowId: `minimal-${randomUUID()}`, taskQueue, workflowIdConflictPolicy: 'FAIL', args: [0, RETENTION_MS] }),
      });
    for (let i = 0; i < 20; i += 1) await empty(); // warm-up: worker bundle, task queue, connections
    for (let i = 0; i < 20; i += 1) await minimal();

    const emptyCpu = cpuSeconds(server.child.pid!);
    const emptySample = await measure(1, EMPTY, empty);
    const emptyCpuMs = ((cpuSeconds(server.child.pid!) - emptyCpu) / EMPTY) * 1000;
    const runs: { concurrency: number; sample: Sample; serverCpuMs: number }[] = [];
    for (const concurrency of CONCURRENCY) {
      const before = cpuSeconds(server.child.pid!);
      const sample = await measure(concurrency, concurrency === 1 ? Math.min(RUNS, 80) : RUNS, minimal);
      runs.push({ concurrency, sample, serverCpuMs: ((cpuSeconds(server.child.pid!) - before) / sample.latencies.length) * 1000 });
    }
    return { empty: emptySample, emptyCpuMs, runs };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sotally-bench-temporal-'));
  const rows: (string | number)[][] = [];
  try {
    for (const [name, options] of OPTION_SETS) {
      console.log(`Temporal dev server: ${name} …`);
      const r = await measureOptionSet(options(dir));
      rows.push([
        name,
        percentile(r.empty.latencies, 50).toFixed(1),
        percentile(r.empty.latencies, 99).toFixed(1),
        r.emptyCpuMs.toFixed(1),
        ...r.runs.map((x) => `${rate(x.sample).toFixed(1)} (p50 ${percentile(x.sample.latencies, 50).toFixed(0)} ms)`),
        r.runs[r.runs.length - 1]!.serverCpuMs.toFixed(1),
      ]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const body = `## The Temporal dev server's options (\`bench/temporal-server.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; Temporal CLI ${'1.9.1'} (\`temporal server start-dev\`), one server per
row, started afresh, in turn. The worker and the client are the bench's own process (the same for every row). "empty workflow":
start → result of a workflow that does nothing, one at a time, ${EMPTY} times. "minimal durable run": the issue-15 baseline
(\`bench/workflows.ts\`: one activity, the caller waiting on an update, one 90-day timer kept) at concurrency 1, 8 and 32, 0 ms model.
Server CPU: the dev server's CPU ms per workflow (empty workflow; minimal run at concurrency 32).

${markdownTable(['dev server options', 'empty p50 ms', 'empty p99 ms', 'server CPU ms per empty workflow', ...CONCURRENCY.map((c) => `minimal runs/s, concurrency ${c}`), 'server CPU ms per minimal run (c 32)'], rows)}
`;
  console.log(body);
  writeBenchmarkSection('temporal-server', body);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
