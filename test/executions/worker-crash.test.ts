// The worker process dies in the middle of a model call. A new worker picks
// the run up (the activity times out and is retried there) and the run ends
// with exactly one correct ledger outcome.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';

const ROOT = path.resolve(__dirname, '..', '..');
const prisma = testPrisma();
let model: FakeOpenAI;
let api: TestApi;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  model = await startFakeOpenAI();
  api = await startTestApi({
    OPENAI_API_KEY: 'sk-platform-key-for-tests-0000',
    OPENAI_BASE_URL: model.baseUrl,
    TEMPORAL_TASK_QUEUE: `crash-${randomUUID()}`,
    MODEL_TIMEOUT: '2s',
    MODEL_RETRY_INITIAL_INTERVAL: '100ms',
  });
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await api?.close();
  await model?.close();
  await closeTestPrisma();
});

/** The real worker entry point (src/worker.ts) as its own process, like production. */
async function startWorkerProcess(): Promise<ChildProcess> {
  const c = api.deps.config;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: c.DATABASE_URL,
      DATA_ENCRYPTION_KEYS: c.DATA_ENCRYPTION_KEYS,
      TEMPORAL_ADDRESS: c.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: c.TEMPORAL_TASK_QUEUE,
      OPENAI_API_KEY: c.OPENAI_API_KEY,
      OPENAI_BASE_URL: c.OPENAI_BASE_URL,
      MODEL_TIMEOUT: '2s',
      WORKER_ENSURE_SCHEDULES: 'false',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(async () => out.includes('"msg":"worker started"') || child.exitCode !== null, { what: 'the worker to start', timeoutMs: 60_000 });
  if (child.exitCode !== null) throw new Error(`worker exited: ${out}`);
  return child;
}

it('a run survives its worker being killed mid-call: captured exactly once', async () => {
  const creator = await signedUpClient(api.baseUrl, 'Creator');
  const tool = await createTool(creator.client);
  const { client, user } = await signedUpClient(api.baseUrl);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.id, 40);

  const first = await startWorkerProcess();
  model.script({ delayMs: 30_000 }); // the first call hangs: the worker dies while waiting for it
  const before = model.requests.length;
  const res = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Phoenix' } });
  expect(res.status).toBe(202);
  await waitFor(async () => model.requests.length > before, { what: 'the model call to begin' });
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));

  await startWorkerProcess();
  const done = await waitFor(
    async () => {
      const body = (await client.get(`/v1/executions/${res.body.id}`)).body;
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    { what: 'the run to finish on the new worker', timeoutMs: 60_000 },
  );
  expect(done).toMatchObject({ status: 'succeeded', output: 'echo: Say hello to Phoenix in .' });
  const entries = await prisma.ledgerEntry.findMany({ where: { executionId: res.body.id } });
  expect(entries.filter((e) => e.type === 'capture')).toHaveLength(1);
  expect(entries.filter((e) => e.type === 'reservation')).toHaveLength(1);
  expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 40 - done.costCredits, reserved: 0 });
}, 120_000);
