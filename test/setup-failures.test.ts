// First-run failures end cleanly: the embedded Postgres, run as root, refuses a
// folder its `postgres` user cannot enter with one line (not `spawn … EACCES`
// and an unhandled error), and a test set-up that fails half-way leaves no
// Temporal server behind.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { embeddedPostgresAccessProblem, freePort } from '../scripts/lib/dev-services';

const ROOT = path.resolve(__dirname, '..');
const isRoot = process.getuid?.() === 0;

/** Temporal dev servers matching `pattern` (other test files start their own: match precisely). */
const temporalServers = (args: string[]) => {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when none match
  }
};

describe('the embedded Postgres as root', () => {
  let locked: string;
  beforeEach(() => {
    locked = mkdtempSync(path.join(os.tmpdir(), 'sotally-locked-')); // mode 700, owned by whoever runs the tests
    mkdirSync(path.join(locked, 'checkout', '.data'), { recursive: true });
  });
  afterEach(() => rmSync(locked, { recursive: true, force: true }));

  it('names the folder its user cannot enter, and says what to do', () => {
    const dataDir = path.join(locked, 'checkout', '.data', 'postgres');
    expect(embeddedPostgresAccessProblem([dataDir], { isRoot: true })).toMatch(
      new RegExp(`cannot enter ${locked}: set DATABASE_URL to a Postgres server, or move the checkout`),
    );
    chmodSync(locked, 0o755);
    expect(embeddedPostgresAccessProblem([dataDir], { isRoot: true })).toBeUndefined();
    chmodSync(locked, 0o700);
    expect(embeddedPostgresAccessProblem([dataDir], { isRoot: false })).toBeUndefined(); // not root: Postgres runs as the caller
  });

  it('npm start stops with that one line, and leaves no process behind', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SOTALLY_DATA_DIR: path.join(locked, 'checkout', '.data'),
      PORT: String(await freePort()),
      DEV_POSTGRES_PORT: String(await freePort()),
      TEMPORAL_DEV_PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (isRoot) {
      expect(code).toBe(1);
      expect(output).toMatch(/\[start\] failed: the embedded Postgres runs as the system user "postgres".*cannot enter .*set DATABASE_URL/);
      expect(output).not.toMatch(/EACCES|Unhandled|at .*\.ts:\d+/);
    } else {
      expect(output).not.toMatch(/cannot enter/); // as a normal user Postgres runs as that user and may start
    }
    expect(temporalServers(['-f', `start-dev .*--port ${env.TEMPORAL_DEV_PORT}`])).toEqual([]);
  }, 120_000);
});

it('a test set-up that fails half-way stops the Temporal server it started', async () => {
  // Set-up runs in this process: a server it left behind would be our child. (Run alone, jest runs the
  // files in its own process, whose child is also this run's own server: compare before and after.)
  const ours = () => temporalServers(['-P', String(process.pid), '-f', 'start-dev']);
  const before = ours();
  const saved = { ...process.env };
  process.env.TEST_DATABASE_URL = `postgresql://postgres@127.0.0.1:${await freePort()}/postgres`; // nothing listens: Postgres "fails"
  try {
    const { default: globalSetup } = await import('./setup/global-setup');
    await expect(globalSetup()).rejects.toThrow();
  } finally {
    process.env = saved;
  }
  expect(ours().filter((pid) => !before.includes(pid))).toEqual([]);
}, 120_000);
