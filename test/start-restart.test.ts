// Under `npm start`, a worker or API that dies (here: kill -9) must be started again
// with backoff, leaving Postgres, Temporal and the other child untouched; only repeated
// failure stops everything, saying why, and leaves no process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/lib/dev-services';
import { alive, commandLine, descendants, stopProcessTree } from './helpers/processes';

const ROOT = path.resolve(__dirname, '..');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

/** Runs scripts/start.ts as a new user would, in its own process group, with its own data and ports. */
async function startService(extraEnv: NodeJS.ProcessEnv = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sotally-restart-'));
  chmodSync(dataDir, 0o755); // like a checkout's .data/: Postgres runs as its own user and must reach it
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SOTALLY_DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    DEV_POSTGRES_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, detached: true });
  const service = {
    child,
    dataDir,
    output: '',
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    ready: () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false),
    /** The live descendant whose command line runs `script`, if any. */
    find: (script: string) => descendants(child.pid as number).find((pid) => commandLine(pid).includes(script)),
    /** Kills the whole process group and removes the data. */
    cleanUp: () => {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  child.stdout?.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (service.output += chunk.toString()));
  return service;
}

type Service = Awaited<ReturnType<typeof startService>>;

async function waitUntilReady(service: Service, timeoutMs: number): Promise<void> {
  await waitFor('/readyz', timeoutMs, async () => {
    if (service.child.exitCode !== null) throw new Error(`npm start exited with ${service.child.exitCode}:\n${service.output}`);
    return (await service.ready()) || undefined;
  });
}

/** Kills `script`'s process with SIGKILL (waiting for one to be running); returns its pid. */
async function kill9(service: Service, script: string): Promise<number> {
  const pid = await waitFor(`a process running ${script}`, 10_000, () => service.find(script));
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** Kills `script`'s process with SIGKILL; returns once a new one (another pid) is running and the API is ready. */
async function killAndAwaitRestart(service: Service, script: string): Promise<{ killed: number; replacement: number }> {
  const killed = await kill9(service, script);
  await waitFor(`${killed} (${script}) to die`, 10_000, () => (alive(killed) ? undefined : true));
  const replacement = await waitFor(`a new process running ${script}`, 30_000, () => {
    if (service.child.exitCode !== null) throw new Error(`npm start exited with ${service.child.exitCode}:\n${service.output}`);
    const pid = service.find(script);
    return pid !== undefined && pid !== killed ? pid : undefined;
  });
  await waitUntilReady(service, 60_000);
  return { killed, replacement };
}

const WORKER = 'src/worker.ts';
const API = 'src/server.ts';

it('restarts a killed worker and a killed API, keeping Postgres and Temporal, and still stops cleanly on Ctrl-C', async () => {
  const service = await startService();
  const t0 = Date.now();
  try {
    await waitUntilReady(service, 150_000);
    console.log(`[start-restart test] ready in ${Date.now() - t0} ms`);
    const root = service.child.pid as number;
    const running = (needle: string) => descendants(root).find((pid) => commandLine(pid).includes(needle));
    const [postgres, temporal] = [running('/bin/postgres '), running('temporal server start-dev')];
    expect({ postgres, temporal }).toEqual({ postgres: expect.any(Number), temporal: expect.any(Number) });
    const infra = [postgres, temporal] as number[];

    // The attack: kill -9 the worker.
    const worker = await killAndAwaitRestart(service, WORKER);
    expect(worker.replacement).not.toBe(worker.killed);
    expect(service.child.exitCode).toBeNull();
    expect(infra.filter((pid) => !alive(pid))).toEqual([]);
    expect(service.output).toMatch(/\[start\] worker exited unexpectedly \(SIGKILL\); restarting in 1 s \(restart 1 of \d+ within \d+ s\)/);

    // And the API.
    const api = await killAndAwaitRestart(service, API);
    expect(api.replacement).not.toBe(api.killed);
    expect(service.child.exitCode).toBeNull();
    expect(infra.filter((pid) => !alive(pid))).toEqual([]);
    expect(alive(worker.replacement)).toBe(true);
    expect(service.output).toMatch(/\[start\] api exited unexpectedly \(SIGKILL\); restarting in 1 s/);
    expect(service.output).not.toContain('stopping');

    // Ctrl-C still stops every process, the restarted ones included.
    const { pids, code, leftovers } = await stopProcessTree(root, service.exited, () => process.kill(-root, 'SIGINT'));
    expect(pids).toEqual(expect.arrayContaining([worker.replacement, api.replacement, ...infra]));
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
    expect(service.output).toContain('[start] stopped.');
  } finally {
    service.cleanUp();
  }
}, 200_000);

it('stops everything, saying why, when the worker keeps failing', async () => {
  const service = await startService({ SOTALLY_RESTART_LIMIT: '1', SOTALLY_RESTART_WINDOW_SECONDS: '600' });
  try {
    await waitUntilReady(service, 150_000);
    const root = service.child.pid as number;
    await killAndAwaitRestart(service, WORKER); // restart 1 of 1
    const { code, leftovers } = await stopProcessTree(root, service.exited, () => kill9(service, WORKER)); // a second failure: over the limit
    expect(code).toBe(1);
    expect(service.output).toContain('[start] worker failed 2 times within 600 s; stopping everything. Its last exit: SIGKILL');
    expect(leftovers).toEqual([]);
    expect(service.output).toContain('[start] stopped.');
  } finally {
    service.cleanUp();
  }
}, 200_000);
