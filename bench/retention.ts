// Retention at scale:
//   1. the safety-net sweep over 100,000 expired records (batched: rate and
//      the sweeping process's memory);
//   2. the cost of open per-record timers: start N retention workflows
//      (90-day timers) on a dev server with its SQLite file on disk, then
//      measure the start rate, the server's memory and the file size per timer.
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPrisma } from '../src/db';
import { sweepExpiredExecutions } from '../src/retention/service';
import { executionRetentionWorkflow } from '../src/retention/workflows';
import { retentionWorkflowId } from '../src/retention/contract';
import { freePort, startTemporalDevServer } from '../scripts/lib/dev-services';
import { benchDatabase, machine, markdownTable, writeBenchmarkSection } from './lib';

const SWEEP_ROWS = Number(process.env.BENCH_SWEEP_ROWS ?? 100_000);
const TIMERS = Number(process.env.BENCH_TIMERS ?? 10_000);

const rssMiB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
};
const fileMiB = (file: string) => ['', '-wal', '-shm'].reduce((sum, suffix) => sum + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0) / 2 ** 20;

async function sweepBench() {
  const db = await benchDatabase('sotally_bench_retention');
  const prisma = createPrisma(db.url, 4);
  const user = await prisma.user.create({ data: { name: 'Sweep', email: `sweep-${randomUUID()}@bench.test`, passwordHash: 'x' } });
  const creator = await prisma.user.create({ data: { name: 'Creator', email: `creator-${randomUUID()}@bench.test`, passwordHash: 'x' } });
  const tool = await prisma.tool.create({
    data: { creatorId: creator.id, name: 't', description: '', inputSchema: {}, model: 'gpt-4o-mini', priceCredits: 1 },
  });
  await prisma.$executeRaw`
    INSERT INTO executions (id, user_id, tool_id, status, reserved_credits, model, inputs_ciphertext, output_ciphertext, created_at, expires_at)
    SELECT gen_random_uuid(), ${user.id}::uuid, ${tool.id}::uuid, 'succeeded', 1, 'gpt-4o-mini',
           decode(repeat('ab', 300), 'hex'), decode(repeat('cd', 1500), 'hex'), now() - interval '91 days', now() - interval '1 day'
      FROM generate_series(1, ${SWEEP_ROWS})`;
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const found = await sweepExpiredExecutions(prisma, 1000);
  const seconds = (performance.now() - t0) / 1000;
  const rssAfter = process.memoryUsage().rss / 2 ** 20;
  const left = await prisma.execution.count();
  await prisma.$disconnect();
  await db.stop();
  if (found !== SWEEP_ROWS || left !== 0) throw new Error(`sweep found ${found}, ${left} left`);
  return { found, seconds, rate: found / seconds, rssBefore, rssAfter };
}

async function timersBench() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sotally-timers-'));
  const dbFile = path.join(dir, 'temporal.sqlite');
  const server = await startTemporalDevServer({ port: await freePort(), headless: true, dbFile });
  const pid = server.child.pid as number;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = `timers-${randomUUID()}`;
  // The purge activity never runs within this bench (timers are 90 days out).
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../src/workflows'),
    activities: { purgeExecutionData: async () => ({ purged: true }), sweepExpiredExecutions: async () => 0 },
  });
  const running = worker.run();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const base = { rss: rssMiB(pid), file: fileMiB(dbFile) };
  const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < TIMERS) {
        next += 1;
        const executionId = randomUUID();
        await client.workflow.start(executionRetentionWorkflow, { taskQueue, workflowId: retentionWorkflowId(executionId), args: [{ executionId, expiresAt }] });
      }
    }),
  );
  const startSeconds = (performance.now() - t0) / 1000;
  // Let every first workflow task run (the timer is created there), then measure.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const after = { rss: rssMiB(pid), file: fileMiB(dbFile) };
  worker.shutdown();
  await running;
  await connection.close();
  await nativeConnection.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
  return { timers: TIMERS, startRate: TIMERS / startSeconds, base, after };
}

async function main() {
  const sweep = await sweepBench();
  console.log('sweep', sweep);
  const timers = await timersBench();
  console.log('timers', timers);
  const perTimerKiB = (mib: number) => ((mib * 1024) / timers.timers).toFixed(2);
  const body = `## Retention (\`bench/retention.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}.

${markdownTable(
  ['what', 'result'],
  [
    ['sweep: expired records purged', sweep.found],
    ['sweep: records per second (batches of 1,000, one UPDATE each)', Math.round(sweep.rate)],
    ['sweep: RSS of the sweeping process before / after (MiB)', `${sweep.rssBefore.toFixed(0)} / ${sweep.rssAfter.toFixed(0)}`],
    ['open 90-day timers started', timers.timers],
    ['timer workflows started per second (32 concurrent starts)', timers.startRate.toFixed(0)],
    ['dev server RSS before / after (MiB)', `${timers.base.rss.toFixed(0)} / ${timers.after.rss.toFixed(0)}`],
    ['dev server RSS per open timer (KiB)', perTimerKiB(timers.after.rss - timers.base.rss)],
    ['SQLite state before / after (MiB)', `${timers.base.file.toFixed(1)} / ${timers.after.file.toFixed(1)}`],
    ['persisted state per open timer (KiB)', perTimerKiB(timers.after.file - timers.base.file)],
  ],
)}
`;
  writeBenchmarkSection('retention', body);
  console.log(body);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
