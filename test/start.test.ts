// The start command, run as a new user would: no DATABASE_URL (embedded
// Postgres), no TEMPORAL_ADDRESS (dev server), no keys (generated). It must
// answer /readyz, serve the seeded demo tool, and stop every process it
// started on Ctrl-C (SIGINT to its process group, as a terminal sends it).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/lib/dev-services';
import { DEMO_TOOL_ID, seedDemo } from '../scripts/seed';
import { Keyring } from '../src/crypto/keyring';
import { closeTestPrisma, TEST_EMAIL_INDEX_KEY, TEST_KEYS, testPrisma } from './helpers/env';
import { parseEmailIndexKey } from '../src/accounts/email-index';
import { temporalBinary } from '../scripts/lib/temporal-binaries';
import { stopProcessTree } from './helpers/processes';

const ROOT = path.resolve(__dirname, '..');

/** Runs a command to its end without blocking this process (the supervisor's output keeps flowing). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(closeTestPrisma);

it('starts the whole service from nothing, answers /readyz, and leaves no process behind on Ctrl-C', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sotally-start-'));
  chmodSync(dataDir, 0o755); // like a checkout's .data/: Postgres runs as its own user and must reach it
  const [port, temporalPort, pgPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SOTALLY_DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(await freePort()),
    DEV_POSTGRES_PORT: String(pgPort),
    LOG_LEVEL: 'warn',
  };
  let output = '';
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, detached: true });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let ready = false;
    while (!ready && Date.now() - started < 150_000 && child.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect({ ready, output: ready ? '' : output }).toEqual({ ready: true, output: '' });
    console.log(`[start test] first start ready in ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the banner flush
    expect(output).toContain(`API          http://localhost:${port}`);
    expect(output).toContain(`API docs     http://localhost:${port}/docs`);
    expect(output).toMatch(/Temporal UI {2}http:\/\/localhost:\d+/);
    expect(output).toContain('generated development encryption keys, email index key, rate-limit key secret');
    const devSecrets = readFileSync(path.join(dataDir, 'dev-secrets.env'), 'utf8');
    expect(devSecrets).toMatch(/^DATA_ENCRYPTION_KEYS=v1:/m);
    expect(devSecrets).toMatch(/^EMAIL_INDEX_KEY=[A-Za-z0-9+/]{43}=$/m);
    expect(devSecrets).toMatch(/^RATE_LIMIT_KEY_SECRET=\S{32,}$/m);

    const tools = (await (await fetch(`http://127.0.0.1:${port}/v1/tools`)).json()) as { items: { id: string }[] };
    expect(tools.items.map((t) => t.id)).toContain(DEMO_TOOL_ID);
    expect(output).toMatch(/Model {8}sotally-dev-echo at http:\/\/127\.0\.0\.1:\d+\/v1/);
    const mailPage = /Mail {9}(http:\/\/localhost:\d+) \(no SMTP_URL/.exec(output)?.[1];
    expect(mailPage).toBeDefined();
    expect(await (await fetch(mailPage as string)).text()).toContain('Development mail');

    // The README's quickstart, exactly as written there, against this start.
    const block = /## Quickstart[\s\S]*?```bash\n([\s\S]*?)```/.exec(readFileSync(path.join(ROOT, 'README.md'), 'utf8'))?.[1];
    expect(block).toBeDefined();
    const quick = await run('bash', ['-euo', 'pipefail', '-c', block as string], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      API: `http://localhost:${port}`,
      SOTALLY_DATA_DIR: dataDir,
    });
    expect({ code: quick.code, stderr: quick.stderr }).toEqual({ code: 0, stderr: '' });
    expect(quick.stdout).toMatch(/^run: {10}\{.*"status":"succeeded"/m);
    expect(quick.stdout).toContain('sotally-dev-echo: You are a poet. Write one haiku (5-7-5 syllables) about autumn rain.');
    const balance = JSON.parse(/^balance: +(.*)$/m.exec(quick.stdout)?.[1] ?? '{}') as { available: number; reserved: number };
    expect(balance.reserved).toBe(0);
    expect(balance.available).toBeGreaterThan(990);
    expect(balance.available).toBeLessThan(1000);
    const ledger = JSON.parse(/^ledger: +(.*)$/m.exec(quick.stdout)?.[1] ?? '{}') as { items: { type: string }[] };
    expect(ledger.items.map((e) => e.type).sort()).toEqual(['adjustment', 'capture', 'release', 'reservation']);
    expect(quick.stdout).toMatch(/^export: +\d{3,} bytes, format 1, in the request [0-9a-f-]{36}$/m);
    // The UI link's query finds the run's workflows (the run and its retention timer).
    const executionId = /ExecutionId%3D%22([0-9a-f-]{36})%22/.exec(quick.stdout)?.[1] as string;
    let listed = '';
    for (let i = 0; i < 40 && !listed.includes(`tool-execution-${executionId}`); i += 1) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 250)); // visibility is eventually consistent
      const args = ['workflow', 'list', '--address', `127.0.0.1:${temporalPort}`, '--query', `ExecutionId="${executionId}"`];
      listed = (await run(temporalBinary('cli'), args, { PATH: process.env.PATH })).stdout;
    }
    expect(listed).toContain(`tool-execution-${executionId}`);

    const root = child.pid as number;
    const { pids, code, leftovers } = await stopProcessTree(root, exited, () => process.kill(-root, 'SIGINT'), { commandLength: 120 });
    expect(pids.length).toBeGreaterThanOrEqual(4); // postgres, temporal, worker, api (and their helpers)
    expect(code).toBe(0);
    expect(leftovers).toEqual([]);
    expect(output).toContain('[start] stopped.');
  } finally {
    if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 200_000);

it('seeds the demo creator and tool once, however often it runs', async () => {
  const keyring = Keyring.parse(TEST_KEYS);
  const indexKey = parseEmailIndexKey(TEST_EMAIL_INDEX_KEY);
  await seedDemo(testPrisma(), keyring, indexKey);
  const again = await seedDemo(testPrisma(), keyring, indexKey);
  expect(again).toEqual({ created: false, accounts: [] });
  expect(await testPrisma().tool.count({ where: { id: DEMO_TOOL_ID } })).toBe(1);
});
