// The pieces a tool-run test needs: a local model server, the API, and a worker
// (in this process, or as its own process like production).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../../src/config';
import { startTestApi, type TestApi } from './api';
import { startTestWorker, type TestWorker } from './worker';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { waitFor } from './wait';

export const PLATFORM_MODEL_KEY = 'sk-platform-key-for-tests-0000';

export interface ExecutionStack {
  model: FakeOpenAI;
  api: TestApi;
  /** The in-process worker, unless started with `worker: false`. */
  worker?: TestWorker;
  /** Another API on the same model, database and task queue, with other settings. */
  extraApi(overrides: Record<string, string>): Promise<TestApi>;
  close(): Promise<void>;
}

export async function startExecutionStack(overrides: Record<string, string> = {}, { worker = true } = {}): Promise<ExecutionStack> {
  const model = await startFakeOpenAI();
  const base = { OPENAI_API_KEY: PLATFORM_MODEL_KEY, OPENAI_BASE_URL: model.baseUrl, TEMPORAL_TASK_QUEUE: `runs-${randomUUID()}` };
  const api = await startTestApi({ ...base, ...overrides });
  const testWorker = worker ? await startTestWorker(api.deps.config) : undefined;
  return {
    model,
    api,
    worker: testWorker,
    extraApi: (more) => startTestApi({ ...base, TEMPORAL_TASK_QUEUE: api.deps.config.TEMPORAL_TASK_QUEUE, ...more }),
    async close() {
      await testWorker?.stop();
      await api.close();
      await model.close();
    },
  };
}

/** The real worker entry point (src/worker.ts) as its own process; resolves once it polls. */
export async function startWorkerProcess(config: Config, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: config.DATABASE_URL,
      DATA_ENCRYPTION_KEYS: config.DATA_ENCRYPTION_KEYS,
      EMAIL_INDEX_KEY: config.EMAIL_INDEX_KEY,
      RATE_LIMIT_KEY_SECRET: config.RATE_LIMIT_KEY_SECRET,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
      OPENAI_API_KEY: config.OPENAI_API_KEY,
      OPENAI_BASE_URL: config.OPENAI_BASE_URL,
      WORKER_ENSURE_SCHEDULES: 'false',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(async () => out.includes('"msg":"worker started"') || child.exitCode !== null, { what: 'the worker to start', timeoutMs: 60_000 });
  if (child.exitCode !== null) throw new Error(`worker exited: ${out}`);
  return child;
}

/** SIGKILL, and wait until the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
