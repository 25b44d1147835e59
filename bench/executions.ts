// Tool runs per second and end-to-end latency over the real API (HTTP),
// Temporal dev server, worker process and Postgres, against a local
// OpenAI-compatible server with a fixed latency; with two baselines in the
// same run: a bare Temporal workflow with the same number of activities, and
// a direct model call. Orchestration overhead = end-to-end minus model latency.
//   npm run bench            (all benchmarks)
//   BENCH_RUNS=100 node --import tsx bench/executions.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { DataKeys } from '../src/crypto/data-keys';
import { createMailService } from '../src/mail/service';
import { Keyring } from '../src/crypto/keyring';
import { createPrisma } from '../src/db';
import { createLedger } from '../src/credits/ledger';
import { createAccountService } from '../src/accounts/service';
import { createToolService } from '../src/tools/service';
import { PROMPT_LIMIT_DEFAULTS } from '../src/config';
import { freePort, startTemporalDevServer, stopChild, waitForPort } from '../scripts/lib/dev-services';
import { ROOT } from '../scripts/lib/temporal-binaries';
import { startFakeOpenAI } from '../test/fakes/openai';
import { benchDatabase, machine, markdownTable, measure, percentile, writeBenchmarkSection, type Sample } from './lib';
import { bareWorkflow, finishedUpdate, minimalRunWorkflow } from './workflows';
import { cpuSeconds, ownerOf, postgresCpu, profileOwners, summarizeProfile } from './processes';
import { executionWorkflowId } from '../src/executions/contract';

const RUNS = Number(process.env.BENCH_RUNS ?? 120);
const LATENCIES = [0, 200];
const CONCURRENCY = [1, 8, 32];

const rate = (s: Sample) => s.latencies.length / s.seconds;
const ms = (n: number) => n.toFixed(1);

async function main() {
  const db = await benchDatabase('sotally_bench_executions');
  const temporal = await startTemporalDevServer({ port: await freePort(), headless: true });
  const model = await startFakeOpenAI();
  const keys = Keyring.generateSpec('v1');
  const emailIndexKey = randomBytes(32);
  const apiPort = await freePort();
  const taskQueue = `bench-${randomUUID()}`;
  const env = {
    PATH: process.env.PATH,
    PORT: String(apiPort),
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '20',
    DATA_ENCRYPTION_KEYS: keys,
    EMAIL_INDEX_KEY: emailIndexKey.toString('base64'),
    RATE_LIMIT_KEY_SECRET: randomBytes(32).toString('base64'),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    OPENAI_API_KEY: 'sk-bench-platform-key-000000000',
    OPENAI_BASE_URL: model.baseUrl,
    EXECUTION_RATE_LIMIT_MAX: '100000000',
    MAX_CONCURRENT_EXECUTIONS: '1000',
    WORKER_ENSURE_SCHEDULES: 'false',
    LOG_LEVEL: 'warn',
  };
  const children: ChildProcess[] = [];
  const launch = (script: string, nodeOptions: string[] = [], extraEnv: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [...nodeOptions, '--import', 'tsx', path.join(ROOT, script)], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  };
  let worker = launch('src/worker.ts');
  const api = launch('src/server.ts');
  await waitForPort('127.0.0.1', apiPort, 60_000);

  // Users with plenty of credits and Bearer tokens; one creator with one tool.
  const prisma = createPrisma(db.url, 5);
  const dataKeys = new DataKeys(prisma, Keyring.parse(keys));
  const accounts = createAccountService(prisma, dataKeys, createMailService({ prisma, dataKeys, transport: null, from: 'bench' }), { passwordCostLog2: 14, sessionTtlMs: 3_600_000, reauthTtlMs: 600_000, emailIndexKey, hmacSecret: 'bench-hmac-secret-not-used-for-anything-real' });
  const ledger = createLedger(prisma, { reservationTtlMs: 3_600_000 });
  const { user: creator } = await accounts.signup({ name: 'Bench creator', email: `creator-${randomUUID()}@bench.test`, password: randomUUID() });
  const tool = await createToolService(prisma, dataKeys, PROMPT_LIMIT_DEFAULTS).create(creator.id, {
    name: 'Bench tool',
    description: 'benchmark',
    prompt: 'Reply to {{text}}',
    inputSchema: { type: 'object', properties: { text: { type: 'string', maxLength: 1000 } }, required: ['text'] },
    model: 'gpt-4o-mini',
    priceCredits: 10,
  });
  const tokens: string[] = [];
  for (let i = 0; i < 64; i += 1) { // one user per client loop, up to the scale-out rows' 64
    const user = await prisma.user.create({ data: { name: `Bench ${i}`, email: `bench-${i}-${randomUUID()}@bench.test`, passwordHash: 'x' } });
    const sessionId = `cs_bench_${randomUUID()}`;
    await prisma.creditPurchase.create({
      data: { checkoutSessionId: sessionId, accountId: user.id, packageId: 'bench', credits: 10_000_000, amountCents: 1, currency: 'usd', checkoutUrl: 'https://x.test', paidAt: new Date() },
    });
    await ledger.creditPurchase(sessionId);
    tokens.push((await accounts.createApiToken(user.id, 'bench')).token);
  }

  // Baseline worker (bare Temporal) in this process, on its own task queue.
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const baselineQueue = `${taskQueue}-bare`;
  const baselineWorker = await Worker.create({
    connection: nativeConnection,
    taskQueue: baselineQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: { noop: async () => undefined, modelLatency: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) },
  });
  const baselineRunning = baselineWorker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const openai = new OpenAI({ apiKey: 'sk-bench', baseURL: model.baseUrl, maxRetries: 0 });

  let lastRunId = '';
  // Client loop i talks to API process i mod n (one API process until the scale-out rows).
  const apiPorts = [apiPort];
  const runTool = async (loop: number) => {
    const res = await fetch(`http://127.0.0.1:${apiPorts[loop % apiPorts.length]}/v1/tools/${tool.id}/executions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[loop]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { text: 'hello' }, waitSeconds: 30 }),
    });
    const body = (await res.json()) as { status?: string; id?: string };
    if (res.status !== 200 || body.status !== 'succeeded') throw new Error(`run failed: ${res.status} ${JSON.stringify(body)}`);
    lastRunId = body.id ?? lastRunId;
  };
  // The issue-15 baseline: one activity, the caller waiting on an update, one 90-day timer kept.
  let lastMinimalId = '';
  const minimalRun = async (latency: number) => {
    const workflowId = `minimal-${randomUUID()}`;
    lastMinimalId = workflowId;
    await client.workflow.executeUpdateWithStart(finishedUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation(minimalRunWorkflow, {
        workflowId,
        taskQueue: baselineQueue,
        workflowIdConflictPolicy: 'FAIL',
        args: [latency, 90 * 86_400_000],
      }),
    });
  };
  // CPU seconds so far of each process a run touches, and Postgres's committed transactions in the bench database.
  const transactions = async () =>
    Number((await prisma.$queryRaw<{ n: bigint }[]>`SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`)[0]!.n);
  const cpuNow = () => ({
    api: cpuSeconds(api.pid!),
    worker: cpuSeconds(worker.pid!),
    temporal: cpuSeconds(temporal.child.pid!),
    postgres: postgresCpu(),
    loadGenerator: (() => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    })(),
  });

  // Warm up every path once.
  await runTool(0);
  await client.workflow.execute(bareWorkflow, { taskQueue: baselineQueue, workflowId: `bare-${randomUUID()}`, args: [0] });
  await minimalRun(0);

  const rows: (string | number)[][] = [];
  let c1Overhead: { p50: number; p99: number } | undefined;
  const ratios: number[] = [];
  const minimalRatios: number[] = [];
  const cpuRows: (string | number)[][] = [];
  for (const latency of LATENCIES) {
    model.latencyMs = latency;
    for (const concurrency of CONCURRENCY) {
      const runs = concurrency === 1 ? Math.min(RUNS, latency ? 40 : 80) : RUNS;
      const cpuBefore = cpuNow();
      const txBefore = await transactions();
      const platform = await measure(concurrency, runs, runTool);
      const cpuAfter = cpuNow();
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // Postgres publishes its counters within a second
      const perThousand = (key: keyof typeof cpuBefore) => (((cpuAfter[key] - cpuBefore[key]) / runs) * 1000).toFixed(1);
      cpuRows.push([latency, concurrency, perThousand('api'), perThousand('worker'), perThousand('temporal'), perThousand('postgres'), perThousand('loadGenerator'), ((await transactions()) - txBefore - 1) / runs]);
      const minimal = await measure(concurrency, runs, () => minimalRun(latency));
      const bare = await measure(concurrency, runs, () =>
        client.workflow.execute(bareWorkflow, { taskQueue: baselineQueue, workflowId: `bare-${randomUUID()}`, args: [latency] }),
      );
      const direct = await measure(concurrency, runs, async () => {
        await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Reply to hello' }] });
      });
      const overhead = platform.latencies.map((l) => l - latency);
      const ratio = rate(platform) / rate(bare);
      ratios.push(ratio);
      minimalRatios.push(rate(platform) / rate(minimal));
      if (concurrency === 1 && latency === 200) c1Overhead = { p50: percentile(overhead, 50), p99: percentile(overhead, 99) };
      rows.push([
        latency,
        concurrency,
        runs,
        rate(platform).toFixed(1),
        ms(percentile(platform.latencies, 50)),
        ms(percentile(platform.latencies, 99)),
        ms(percentile(overhead, 50)),
        ms(percentile(overhead, 99)),
        rate(bare).toFixed(1),
        ms(percentile(bare.latencies, 50)),
        rate(minimal).toFixed(1),
        ms(percentile(minimal.latencies, 50)),
        (rate(platform) / rate(minimal)).toFixed(2),
        rate(direct).toFixed(1),
        ms(percentile(direct.latencies, 50)),
        ratio.toFixed(2),
      ]);
      console.log(rows.at(-1)?.join('\t'));
    }
  }

  // What one run asks of Temporal: its history's events by type, beside the minimal run's.
  const eventsOf = async (workflowId: string) => {
    const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
    const counts = new Map<string, number>();
    for (const event of events ?? []) {
      const name = proto.api.enums.v1.EventType[event.eventType ?? 0]!.replace(/^EVENT_TYPE_/, '').toLowerCase();
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return { total: events?.length ?? 0, counts };
  };
  const runEvents = await eventsOf(executionWorkflowId(lastRunId));
  const minimalEvents = await eventsOf(lastMinimalId);
  const eventTypes = [...new Set([...runEvents.counts.keys(), ...minimalEvents.counts.keys()])].sort();
  const historyTable = markdownTable(
    ['history event', 'a tool run', 'the minimal durable run'],
    [...eventTypes.map((t) => [`\`${t}\``, runEvents.counts.get(t) ?? 0, minimalEvents.counts.get(t) ?? 0]), ['**all events**', runEvents.total, minimalEvents.total]],
  );
  const cpuTable = markdownTable(
    ['model ms', 'concurrency', 'API', 'worker', 'Temporal server', 'Postgres', 'load generator', 'Postgres transactions per run'],
    cpuRows.map((r) => [...r.slice(0, 7), Number(r[7]).toFixed(1)]),
  );

  // Where the worker's CPU goes under runs (concurrency 32, 0 ms model): a profile of a second worker process.
  await stopChild(worker);
  children.splice(children.indexOf(worker), 1);
  model.latencyMs = 0;
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'sotally-worker-profile-'));
  const spawnedAt = Date.now();
  worker = launch('src/worker.ts', ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  await runTool(0); // answers once the new worker polls
  const loadStartMs = Date.now() - spawnedAt;
  // Two windows in the one profile: one run at a time (latency), then 32 at once (throughput).
  const single = { startedAt: Date.now(), endedAt: 0, runs: Math.min(RUNS, 80) };
  for (let i = 0; i < single.runs; i += 1) await runTool(0);
  single.endedAt = Date.now();
  const profiledCpu = cpuSeconds(worker.pid!);
  const profiledStartedAt = Date.now();
  const profiled = await measure(32, RUNS, runTool);
  const profiledEndedAt = Date.now();
  const profiledCpuPerRun = ((cpuSeconds(worker.pid!) - profiledCpu) / RUNS) * 1000;
  await stopChild(worker, 30_000);
  const exitedAt = Date.now();
  children.splice(children.indexOf(worker), 1);
  const profileFiles = readdirSync(profileDir).map((f) => path.join(profileDir, f));
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
  const mainProfile = profileFiles.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const frames = mainProfile ? summarizeProfile(mainProfile, loadStartMs).slice(0, 16).map(([what, pct]) => [what, `${pct.toFixed(1)} %`]) : [['(no profile written)', '']];
  // Every thread's busy time per run by owner, in both windows.
  const windows = [
    { runs: single.runs, endsBeforeExitMs: exitedAt - single.endedAt, lengthMs: single.endedAt - single.startedAt },
    { runs: RUNS, endsBeforeExitMs: exitedAt - profiledEndedAt, lengthMs: profiledEndedAt - profiledStartedAt },
  ];
  const threads = profileFiles
    .map((f) => ({ main: f === mainProfile, owners: profileOwners(f, windows) }))
    .filter((t) => t.owners.some((o, i) => o.busyUs / windows[i]!.runs > 500)); // threads busy at least 0.5 ms per run
  // group → ms per run, in the columns [main thread, workflow threads] × [one at a time, 32 at once]
  const ownerGroups = new Map<string, number[]>();
  for (const t of threads) {
    t.owners.forEach((o, w) => {
      for (const [group, us] of o.byGroup) {
        const row = ownerGroups.get(group) ?? [0, 0, 0, 0];
        row[w * 2 + (t.main ? 0 : 1)]! += us / 1000 / windows[w]!.runs;
        ownerGroups.set(group, row);
      }
    });
  }
  const sum = (rows: Iterable<number[]>) => {
    const total = [0, 0, 0, 0];
    for (const row of rows) row.forEach((x, i) => (total[i]! += x));
    return total;
  };
  const byOwner = new Map<string, number[]>();
  for (const [group, v] of ownerGroups) byOwner.set(ownerOf(group), sum([byOwner.get(ownerOf(group)) ?? [0, 0, 0, 0], v]));
  const busyRow = sum(ownerGroups.values());
  const threadColumns = ['main thread, one at a time', 'workflow threads, one at a time', 'main thread, 32 at once', 'workflow threads, 32 at once'];
  const fixed = (v: number[]) => v.map((x) => x.toFixed(2));
  const ownersTable = markdownTable(
    ['owner', ...threadColumns],
    [...[...byOwner].sort((a, b) => b[1][2]! + b[1][3]! - (a[1][2]! + a[1][3]!)).map(([owner, v]) => [owner, ...fixed(v)]), ['**all busy time**', ...fixed(busyRow).map((x) => `**${x}**`)]],
  );
  const groupsTable = markdownTable(
    ['group', 'owner', ...threadColumns],
    [...ownerGroups]
      .sort((a, b) => b[1][2]! + b[1][3]! - (a[1][2]! + a[1][3]!))
      .filter(([, v]) => v.some((x) => x >= 0.2))
      .map(([group, v]) => [group, ownerOf(group), ...fixed(v)]),
  );

  // Scale-out (issue 15, item 5): one API and one worker process, then two of each, against the
  // same Temporal server and Postgres; the minimal durable run measured between them.
  const untilPollers = async (count: number) => {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const counts = await Promise.all(
        [proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map(async (taskQueueType) => {
          const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType });
          return new Set((pollers ?? []).map((p) => p.identity)).size;
        }),
      );
      if (counts.every((n) => n >= count)) return;
    }
    throw new Error(`fewer than ${count} workers poll ${taskQueue}`);
  };
  worker = launch('src/worker.ts');
  await runTool(0);
  const apis = [api];
  const workers = [worker];
  const scaleRows: (string | number)[][] = [];
  for (const processes of [1, 2, 1]) {
    while (apis.length < processes) {
      const port = await freePort();
      apis.push(launch('src/server.ts', [], { PORT: String(port) }));
      workers.push(launch('src/worker.ts'));
      await waitForPort('127.0.0.1', port, 60_000);
      apiPorts.push(port);
      await untilPollers(processes); // the new worker has bundled its workflows and polls
      for (let loop = 0; loop < processes; loop += 1) await runTool(loop); // warm: each API once
    }
    while (apis.length > processes) {
      apiPorts.pop();
      for (const child of [apis.pop()!, workers.pop()!]) {
        await stopChild(child, 30_000);
        children.splice(children.indexOf(child), 1);
      }
    }
    for (const concurrency of [32, 64]) {
      const cpu = (list: ChildProcess[]) => list.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
      const before = { api: cpu(apis), worker: cpu(workers), temporal: cpuSeconds(temporal.child.pid!), postgres: postgresCpu() };
      const sample = await measure(concurrency, RUNS * 2, runTool);
      const after = { api: cpu(apis), worker: cpu(workers), temporal: cpuSeconds(temporal.child.pid!), postgres: postgresCpu() };
      const perRun = (key: keyof typeof after) => (((after[key] - before[key]) / (RUNS * 2)) * 1000).toFixed(1);
      const minimal = await measure(concurrency, RUNS * 2, () => minimalRun(0));
      scaleRows.push([
        `${processes} API + ${processes} worker`,
        concurrency,
        rate(sample).toFixed(1),
        ms(percentile(sample.latencies, 50)),
        ms(percentile(sample.latencies, 99)),
        perRun('api'),
        perRun('worker'),
        perRun('temporal'),
        perRun('postgres'),
        rate(minimal).toFixed(1),
      ]);
      console.log(scaleRows.at(-1)?.join('\t'));
    }
  }

  const table = markdownTable(
    ['model ms', 'concurrency', 'runs', 'runs/s', 'e2e p50', 'e2e p99', 'overhead p50', 'overhead p99', 'bare Temporal/s', 'bare p50', 'minimal durable run/s', 'minimal p50', 'runs/s ÷ minimal', 'direct model/s', 'direct p50', 'runs/s ÷ bare'],
    rows,
  );
  console.log(`\n${table}`);
  writeBenchmarkSection(
    'executions',
    `## Tool runs (\`bench/executions.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}. Everything on one machine: the API and the worker as
their own processes (as \`npm start\` runs them), a Temporal dev server (SQLite), Postgres ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded (18)'},
a local OpenAI-compatible server answering after a fixed latency, and the load generator. A run is
\`POST /v1/tools/:id/executions\` with \`waitSeconds\` (update-with-start, then waiting for the result) until it answers 200
\`succeeded\`; each concurrent client is its own user. Latencies in ms. "overhead" = end-to-end minus the model's latency.
"bare Temporal" runs a workflow with the same five activities (no-ops, one waiting the model's latency) from a client in
the load generator's process; "direct model" calls the model server with the \`openai\` library.

${table}

Targets (issue 4): overhead at concurrency 1 ≤ 25 ms p50 / ≤ 100 ms p99 (measured at 200 ms model latency:
${c1Overhead ? `${ms(c1Overhead.p50)} / ${ms(c1Overhead.p99)}` : 'n/a'}); throughput ≥ 0.7 × bare Temporal (measured ratios: ${ratios.map((r) => r.toFixed(2)).join(', ')}).
Target (issue 15): ≥ 0.9 × the minimal durable run, a workflow with one activity waiting the model's latency, started by
update-with-start whose update answers when the activity is done, then keeping one 90-day timer (\`bench/workflows.ts\`
\`minimalRunWorkflow\`; measured ratios: ${minimalRatios.map((r) => r.toFixed(2)).join(', ')}).

CPU seconds per 1,000 runs by process, measured over each row of the table above (the load generator also runs the
baselines' worker, idle during these rows), and Postgres transactions committed per run in the bench database:

${cpuTable}

What one run asks of the Temporal server: the events in its workflow history, by type (a tool run of the last row, whose
workflow keeps the record's retention timer itself; the minimal run of the same row):

${historyTable}

Where a worker's main thread spends its busy time under runs (a second worker process with \`--cpu-prof\`, concurrency 32,
0 ms model, ${RUNS} runs at ${rate(profiled).toFixed(1)} runs/s, ${profiledCpuPerRun.toFixed(1)} CPU s per 1,000 runs; self time by package):

${markdownTable(['package or layer', 'share of busy time'], frames)}

The same worker's threads, ms of CPU per run by who owns the time (self time in the profile of each thread: the main
thread, which runs the activities, the SDK's Rust core bridge and the Postgres pool, and the workflow threads, where the SDK
runs workflow code in its V8 sandbox), over ${windows[0]!.runs} runs one at a time and then the ${RUNS} runs at concurrency 32 above.
"this code" is \`src/\` and the libraries it calls (Postgres driver, Prisma, the model client and its fetch, node:crypto
for the codec and the data keys) and the evaluation of its workflow modules, which the SDK repeats for every new workflow;
"the workflow bundle" is the SDK's workflow library and this code's workflow functions, which one profile cannot tell apart:

${ownersTable}

The groups of at least 0.2 ms in one column:

${groupsTable}

Scale-out on this machine (issue 15, item 5): the same runs (0 ms model) through one API and one worker process, then two of
each (client loop *i* talks to API *i* mod 2; the workers share the task queue), then one of each again, against the same
Temporal dev server and Postgres. CPU ms per run, summed over the processes of each kind; the minimal durable run measured
right after each row, in the same conditions:

${markdownTable(['processes', 'concurrency', 'runs/s', 'e2e p50', 'e2e p99', 'API CPU ms/run', 'worker CPU ms/run', 'Temporal CPU ms/run', 'Postgres CPU ms/run', 'minimal durable run/s'], scaleRows)}
`,
  );

  baselineWorker.shutdown();
  await baselineRunning;
  await connection.close();
  await nativeConnection.close();
  await prisma.$disconnect();
  for (const child of children) await stopChild(child);
  await model.close();
  await temporal.stop();
  await db.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
