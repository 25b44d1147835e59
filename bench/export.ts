// The data export at scale: a user with BENCH_EXPORT_RUNS executions (50,000 by default),
// each with sealed inputs and output, exported the way the workflow's activity does it
// (register-driven read by keyset pages, decrypted, serialized incrementally, sealed and
// stored in chunks), then read back the way the download streams it. Time and memory
// high-water (each measured step in a fresh process: RSS high-water from the kernel,
// heap sampled every 10 ms and after each page, and the live heap with a GC after each page) against two
// baselines measured in the same run: the same export for a user with a tenth of the
// runs (memory must not grow with the data), and the naive way (every row in memory,
// one JSON.stringify), which is what "bounded memory" is measured against.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { PrismaClient } from '@prisma/client';
import { createPrisma } from '../src/db';
import { Keyring } from '../src/crypto/keyring';
import { DataKeys } from '../src/crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../src/crypto/columns';
import { createProfiles } from '../src/accounts/profile';
import { chunkWriter, readChunks } from '../src/data-export/store';
import { writeExportFile } from '../src/data-export/writer';
import { benchDatabase, machine, markdownTable, writeBenchmarkSection } from './lib';

const RUNS = Number(process.env.BENCH_EXPORT_RUNS ?? 50_000);
const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/**
 * Runs `work` while sampling heap and RSS; returns its result, its time and the high-water marks above the start.
 * `live`: instead of sampling on a timer, collect garbage at each of the work's samples (after each page), so the
 * mark is the memory the work holds, not what the collector had not yet reclaimed.
 */
async function measured<T>(work: (sample: () => void) => Promise<T>, { live = false } = {}) {
  gc();
  await delay(50);
  const start = process.memoryUsage();
  const peak = { heap: start.heapUsed, rss: start.rss };
  const sample = () => {
    if (live) gc();
    const now = process.memoryUsage();
    peak.heap = Math.max(peak.heap, now.heapUsed);
    peak.rss = Math.max(peak.rss, now.rss);
  };
  const timer = live ? undefined : setInterval(sample, 10);
  const t0 = performance.now();
  try {
    const result = await work(sample);
    sample();
    return { result, seconds: (performance.now() - t0) / 1000, heapMiB: (peak.heap - start.heapUsed) / MiB, rssMiB: (peak.rss - start.rss) / MiB };
  } finally {
    clearInterval(timer);
  }
}

async function userWithRuns(prisma: PrismaClient, dataKeys: DataKeys, runs: number): Promise<string> {
  const userId = randomUUID();
  await createProfiles(prisma, dataKeys, Buffer.alloc(32, 7)).createUser(userId, { name: 'Bench Exporter', email: `export-${userId}@bench.test`, avatarUrl: null }, { passwordHash: 'x' });
  const tool = await prisma.tool.create({ data: { creatorId: userId, name: 'Summarizer', description: 'bench', inputSchema: {}, model: 'gpt-4o-mini', priceCredits: 1 } });
  const inputs = JSON.stringify({ text: 'Summarize the quarterly report for the board, with the risks first. '.repeat(3) });
  const output = 'The quarter closed above plan; the main risks are supplier delays and currency exposure. '.repeat(12);
  const expiresAt = new Date(Date.now() + 86_400_000);
  for (let done = 0; done < runs; done += 1000) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(1000, runs - done) }, async () => {
        const id = randomUUID();
        return {
          id,
          userId,
          toolId: tool.id,
          status: 'succeeded' as const,
          reservedCredits: 1,
          costCredits: 1,
          model: 'gpt-4o-mini',
          promptTokens: 120,
          completionTokens: 240,
          inputsCiphertext: await dataKeys.seal(ENCRYPTED_COLUMNS.executionInputs, id, userId, inputs),
          outputCiphertext: await dataKeys.seal(ENCRYPTED_COLUMNS.executionOutput, id, userId, output),
          expiresAt,
        };
      }),
    );
    await prisma.execution.createMany({ data: batch });
  }
  await prisma.$executeRaw`ANALYZE executions`;
  return userId;
}

/** The export as the activity makes it: written and stored chunk by chunk. */
async function streamingExport(prisma: PrismaClient, dataKeys: DataKeys, userId: string, options: { live?: boolean } = {}) {
  const requestId = (await prisma.privacyRequest.create({ data: { userId, type: 'export', status: 'running', dueAt: new Date(Date.now() + 86_400_000) } })).id;
  return measured(async (sample) => {
    const sink = chunkWriter(prisma, dataKeys, { requestId, userId });
    const summary = await writeExportFile(prisma, dataKeys, { userId, requestId, exportedAt: new Date(), onPage: sample }, sink.write);
    return { requestId, summary, file: await sink.finish() };
  }, options);
}

/** The baseline: every row of the user's runs in memory, decrypted, then one JSON.stringify. */
async function naiveExport(prisma: PrismaClient, dataKeys: DataKeys, userId: string, options: { live?: boolean } = {}) {
  return measured(async (sample) => {
    const rows = await prisma.execution.findMany({ where: { userId } });
    sample();
    const runs = [];
    for (const r of rows) {
      runs.push({
        ...r,
        inputsCiphertext: undefined,
        outputCiphertext: undefined,
        inputs: JSON.parse(await dataKeys.open(ENCRYPTED_COLUMNS.executionInputs, r.id, userId, r.inputsCiphertext as Uint8Array)) as unknown,
        output: await dataKeys.open(ENCRYPTED_COLUMNS.executionOutput, r.id, userId, r.outputCiphertext as Uint8Array),
      });
    }
    sample();
    const text = JSON.stringify({ executions: runs });
    sample();
    return Buffer.byteLength(text);
  }, options);
}

const status = (field: string) => Number(/\d+/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`)) ?? '0')?.[0] ?? 0) / 1024;

interface Step {
  seconds: number;
  /** Heap high-water above the start of the step (as the collector left it; with `live`, after a GC at each page). */
  heapMiB: number;
  /** Live heap high-water, absolute (only with `live`). */
  liveHeapMiB?: number;
  /** The process's RSS when the step began, and its lifetime high-water (VmHWM), in MiB. */
  rssStartMiB: number;
  rssPeakMiB: number;
  result: unknown;
}

/** One measured step in this (fresh) process; prints its numbers as JSON. */
async function child(step: string, url: string, userId: string, extra: string | undefined) {
  const prisma = createPrisma(url, 4);
  const dataKeys = new DataKeys(prisma, Keyring.parse(process.env.BENCH_EXPORT_KEYS as string));
  await dataKeys.keyFor(userId); // the key read is not what is measured
  const live = step.endsWith('-live');
  const rssStartMiB = status('VmRSS');
  gc();
  const liveStart = process.memoryUsage().heapUsed;
  let out: { result: unknown; seconds: number; heapMiB: number };
  if (step.startsWith('stream')) {
    const m = await streamingExport(prisma, dataKeys, userId, { live });
    out = { ...m, result: { requestId: m.result.requestId, sizeBytes: m.result.file.sizeBytes, chunkCount: m.result.file.chunkCount, runs: m.result.summary.rows.executions } };
  } else if (step.startsWith('naive')) {
    out = await naiveExport(prisma, dataKeys, userId, { live });
  } else {
    const [requestId, chunkCount] = (extra ?? '').split(':');
    out = await measured(async () => {
      let bytes = 0;
      for await (const chunk of readChunks(prisma, dataKeys, { requestId: requestId as string, userId, chunkCount: Number(chunkCount) })) bytes += chunk.length;
      return bytes;
    });
  }
  const report: Step = { ...out, rssStartMiB, rssPeakMiB: status('VmHWM'), ...(live ? { liveHeapMiB: (liveStart + out.heapMiB * MiB) / MiB } : {}) };
  await prisma.$disconnect();
  console.log(`STEP ${JSON.stringify(report)}`);
}

function runStep(step: string, url: string, userId: string, extra?: string): Step {
  const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, 'step', step, url, userId, ...(extra ? [extra] : [])], { encoding: 'utf8', env: process.env });
  const line = res.stdout.split('\n').find((l) => l.startsWith('STEP '));
  if (res.status !== 0 || !line) throw new Error(`step ${step} failed: ${res.stderr}${res.stdout}`);
  return JSON.parse(line.slice(5)) as Step;
}

async function main() {
  const db = await benchDatabase('sotally_bench_export');
  const prisma = createPrisma(db.url, 4);
  process.env.BENCH_EXPORT_KEYS = Keyring.generateSpec();
  const dataKeys = new DataKeys(prisma, Keyring.parse(process.env.BENCH_EXPORT_KEYS));

  const t0 = performance.now();
  const big = await userWithRuns(prisma, dataKeys, RUNS);
  const small = await userWithRuns(prisma, dataKeys, Math.round(RUNS / 10));
  const seedSeconds = (performance.now() - t0) / 1000;
  await prisma.$disconnect();

  const smallExport = runStep('stream', db.url, small);
  const bigExport = runStep('stream', db.url, big);
  const exported = bigExport.result as { requestId: string; sizeBytes: number; chunkCount: number; runs: number };
  if (exported.runs !== RUNS) throw new Error(`exported ${exported.runs} of ${RUNS} runs`);
  const smallLive = runStep('stream-live', db.url, small);
  const bigLive = runStep('stream-live', db.url, big);
  const download = runStep('download', db.url, big, `${exported.requestId}:${exported.chunkCount}`);
  if (download.result !== exported.sizeBytes) throw new Error(`read ${String(download.result)} of ${exported.sizeBytes} bytes`);
  const naive = runStep('naive', db.url, big);
  const naiveLive = runStep('naive-live', db.url, big);
  await db.stop();

  const f = (n: number, digits = 1) => n.toFixed(digits);
  const size = (s: Step) => f(((s.result as { sizeBytes?: number }).sizeBytes ?? (s.result as number)) / MiB);
  const row = (label: string, runs: number, s: Step, liveStep?: Step) => [
    label,
    runs,
    size(s),
    f(s.seconds),
    Math.round(runs / s.seconds),
    f(s.rssPeakMiB - s.rssStartMiB),
    f(s.heapMiB),
    liveStep?.liveHeapMiB === undefined ? '-' : f(liveStep.liveHeapMiB),
  ];
  const rows = [
    row('streaming export (the activity)', Math.round(RUNS / 10), smallExport, smallLive),
    row('streaming export (the activity)', RUNS, bigExport, bigLive),
    row('download: decrypt every chunk', RUNS, download),
    row('baseline: all runs in memory, one JSON.stringify', RUNS, naive, naiveLive),
  ];
  const table = markdownTable(['export', 'runs', 'file MiB', 'seconds', 'runs per second', 'peak RSS +MiB', 'peak heap +MiB', 'live heap MiB'], rows);
  const ratios = {
    rssTenfold: (bigExport.rssPeakMiB - bigExport.rssStartMiB) / Math.max(smallExport.rssPeakMiB - smallExport.rssStartMiB, 0.1),
    liveTenfold: (bigLive.liveHeapMiB ?? 0) / Math.max(smallLive.liveHeapMiB ?? 0, 0.1),
    rssVsNaive: (bigExport.rssPeakMiB - bigExport.rssStartMiB) / Math.max(naive.rssPeakMiB - naive.rssStartMiB, 0.1),
    liveVsNaive: (bigLive.liveHeapMiB ?? 0) / Math.max(naiveLive.liveHeapMiB ?? 0, 0.1),
    timeVsNaive: bigExport.seconds / naive.seconds,
  };
  console.log(`${table}\n\nratios: ${JSON.stringify(ratios)}`);
  writeBenchmarkSection(
    'export',
    `## Data export (\`bench/export.ts\`)

${machine()}; Postgres ${process.env.DATABASE_URL ? 'from DATABASE_URL' : 'embedded'} on the same machine. A user with ${RUNS.toLocaleString('en')} runs
(inputs ~200 B, output ~1 KB, both sealed under the user's data key) plus profile and one tool, exported as the
workflow's activity does it: every table of the register read by keyset pages of 500 rows, decrypted, serialized
row by row, sealed and stored in 256 KiB chunks; then every chunk read back and decrypted as the download streams
it. Each step runs in a fresh process: "peak RSS +" is the kernel's RSS high-water (VmHWM) above the RSS when the
step began; "peak heap +" the heap high-water above its start (sampled every 10 ms and after each page); "live heap"
the heap high-water with a full GC after every page, i.e. what the step holds (absolute, runtime and modules included).
Seeding the two users took ${f(seedSeconds)} s (not counted).

${table}

- Bounded memory: ten times the runs (and the file) moves the export's RSS growth by ×${f(ratios.rssTenfold, 2)} and its live
  heap by ×${f(ratios.liveTenfold, 2)}. Against the naive baseline, which holds every run at once and grows with the data, the
  streaming export's RSS growth is ×${f(ratios.rssVsNaive, 2)} and its live heap ×${f(ratios.liveVsNaive, 2)}.
- Time: the streaming export takes ×${f(ratios.timeVsNaive, 2)} the naive baseline's time; the difference is sealing and
  writing the chunks (the baseline stores nothing) and reading the other tables.
`,
  );
}

if (process.argv[2] === 'step') {
  const [, , , step, url, userId, extra] = process.argv;
  child(step as string, url as string, userId as string, extra).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
