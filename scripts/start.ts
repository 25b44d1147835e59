// `npm start`: the whole service on one machine, in the foreground.
//   1. development secrets (generated once into .data/dev-secrets.env when none are given),
//   2. Postgres: DATABASE_URL if set, else an embedded Postgres under .data/postgres,
//   3. migrations, then the demo creator and tool (once),
//   4. the Temporal dev server with its Web UI (unless TEMPORAL_ADDRESS is set),
//   5. the worker and the API as child processes, restarted with backoff should they die.
// Ctrl-C (or SIGTERM) stops every process it started, in reverse order.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { Keyring } from '../src/crypto/keyring';
import { createPrisma } from '../src/db';
import { ensureDatabase, migrateDatabase, setNamespaceRetention, startEmbeddedPostgres, startTemporalDevServer, stopChild } from './lib/dev-services';
import { ROOT } from './lib/temporal-binaries';
import { seedDemo } from './seed';
import { parseEmailIndexKey } from '../src/accounts/email-index';
import { ensureDevSecrets } from './lib/dev-secrets';
import { DEV_MODEL_KEY, DEV_MODEL_NAME, startDevModel } from './lib/dev-model';
import { startDevMail } from './lib/dev-mail';

const say = (msg: string) => console.log(`[start] ${msg}`);

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

async function main() {
  loadDotenv({ path: path.join(ROOT, '.env'), quiet: true });
  const env = process.env;
  const dataDir = path.resolve(env.SOTALLY_DATA_DIR ?? path.join(ROOT, '.data'));
  mkdirSync(dataDir, { recursive: true });
  const started: Stoppable[] = [];
  let stopping = false;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping ...');
    for (const service of started.reverse()) {
      const t0 = Date.now();
      await service.stop().catch((err: unknown) => say(`could not stop ${service.name}: ${String(err)}`));
      say(`${service.name} stopped (${Date.now() - t0} ms)`);
    }
    say('stopped.');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void shutdown(0));
  // Children run in their own process groups (so Ctrl-C reaches only this supervisor, which stops
  // them in order). Should this process end any other way, take them down with it.
  const children: ChildProcess[] = [];
  let postgresProcess: ChildProcess | undefined;
  process.once('exit', () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(child === postgresProcess ? 'SIGINT' : 'SIGKILL');
  });

  try {
    // Before anything starts: `temporal server start-dev` (CLI 1.9.1) has no TLS options, so Temporal
    // TLS settings without TEMPORAL_ADDRESS would leave the worker and the API unable to connect.
    if (!env.TEMPORAL_ADDRESS) {
      const tlsVariables = ['TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_SERVER_NAME'].filter((name) => env[name]);
      if (env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS === '1') tlsVariables.unshift('TEMPORAL_TLS');
      if (tlsVariables.length > 0) {
        throw new Error(`${tlsVariables.join(', ')} set without TEMPORAL_ADDRESS: the dev server npm start runs speaks plain gRPC on 127.0.0.1; set TEMPORAL_ADDRESS to the TLS server they are for, or unset them`);
      }
    }

    // 1. Secrets: never a default; generate development ones once and say so.
    const secretsFile = path.join(dataDir, 'dev-secrets.env');
    const generated = ensureDevSecrets(env, secretsFile);
    if (generated.length > 0) say(`generated development ${generated.join(', ')} into ${path.relative(ROOT, secretsFile)} (git-ignored)`);

    // 2. Postgres.
    let databaseUrl = env.DATABASE_URL;
    if (!databaseUrl) {
      const port = Number(env.DEV_POSTGRES_PORT ?? 54329);
      say(`starting embedded Postgres on 127.0.0.1:${port} (data in ${path.relative(ROOT, path.join(dataDir, 'postgres')) || dataDir})`);
      const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port });
      started.push({ name: 'postgres', stop: pg.stop });
      postgresProcess = pg.process;
      if (pg.process) children.push(pg.process);
      databaseUrl = await ensureDatabase(pg.adminUrl, 'sotally');
      env.DATABASE_URL = databaseUrl;
    }

    // 3. Migrations and demo data.
    migrateDatabase(databaseUrl);
    say('database migrated');
    const prisma = createPrisma(databaseUrl, 1);
    try {
      const seeded = await seedDemo(prisma, Keyring.parse(env.DATA_ENCRYPTION_KEYS as string), parseEmailIndexKey(env.EMAIL_INDEX_KEY as string));
      // The passwords are shown once, and kept (git-ignored, owner-only) for the README's quickstart.
      for (const account of seeded.accounts) {
        say(`seeded the demo account ${account.email} (password: ${account.password})`);
        appendFileSync(path.join(dataDir, 'demo-accounts.txt'), `${account.email} ${account.password}\n`, { mode: 0o600 });
      }
      if (seeded.created) say('demo data: a creator with the "Haiku writer" tool, and a user holding 1,000 credits');
    } finally {
      await prisma.$disconnect();
    }

    // The development model: only when no provider key is configured (production refuses to start without one).
    let modelLine = `${env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1'} (OPENAI_API_KEY)`;
    if (!env.OPENAI_API_KEY) {
      const latencyMs = Number(env.DEV_MODEL_LATENCY_MS ?? 300) || 0;
      const devModel = await startDevModel({ port: Number(env.DEV_MODEL_PORT ?? 0) || 0, latencyMs });
      started.push({ name: 'development model', stop: devModel.close });
      env.OPENAI_BASE_URL = devModel.baseUrl;
      env.OPENAI_API_KEY = DEV_MODEL_KEY;
      modelLine = `${DEV_MODEL_NAME} at ${devModel.baseUrl} (no OPENAI_API_KEY: a local echo model, ${latencyMs} ms per answer)`;
      say(`no OPENAI_API_KEY: runs go to the local development model ${DEV_MODEL_NAME}`);
    }

    // The development mail catcher: only when no SMTP server is configured.
    let mailLine = `${(env.SMTP_URL ?? '').replace(/\/\/[^@/]*@/, '//')} (SMTP_URL)`;
    if (!env.SMTP_URL) {
      const devMail = await startDevMail({ smtpPort: Number(env.DEV_MAIL_SMTP_PORT ?? 0) || 0, pagePort: Number(env.DEV_MAIL_PORT ?? 0) || 0 });
      started.push({ name: 'development mail catcher', stop: devMail.close });
      env.SMTP_URL = devMail.smtpUrl;
      mailLine = `${devMail.pageUrl} (no SMTP_URL: a local mail catcher keeps what the worker sends)`;
    }

    // 4. Temporal.
    const apiPort = Number(env.PORT ?? 3000);
    let temporalUiUrl = env.TEMPORAL_UI_URL;
    if (!env.TEMPORAL_ADDRESS) {
      const port = Number(env.TEMPORAL_DEV_PORT ?? 7233);
      const uiPort = Number(env.TEMPORAL_UI_PORT ?? port + 1000);
      say(`starting the Temporal dev server on 127.0.0.1:${port} with its Web UI on port ${uiPort}`);
      const temporal = await startTemporalDevServer({
        port,
        uiPort,
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        codecEndpoint: `http://localhost:${apiPort}/codec`,
        log: say,
        detached: true,
      });
      children.push(temporal.child);
      started.push({ name: 'temporal', stop: temporal.stop });
      // Closed workflow histories must not outlive the privacy policy: keep them only briefly.
      const retention = env.TEMPORAL_NAMESPACE_RETENTION ?? '7d';
      setNamespaceRetention(temporal.address, env.TEMPORAL_NAMESPACE ?? 'default', retention);
      say(`namespace retention for closed workflows: ${retention}`);
      env.TEMPORAL_ADDRESS = temporal.address;
      temporalUiUrl = temporal.uiUrl;
      env.TEMPORAL_UI_ORIGIN ??= `http://localhost:${uiPort}`;
    }

    // 5. Worker and API. Should one die (not while stopping), start it again after a backoff
    // (1 s, 2 s, 4 s ... at most 15 s); only when it fails more than SOTALLY_RESTART_LIMIT times
    // (default 5) within SOTALLY_RESTART_WINDOW_SECONDS (default 60) stop everything, saying why.
    const restartLimit = Number(env.SOTALLY_RESTART_LIMIT) || 5;
    const windowSeconds = Number(env.SOTALLY_RESTART_WINDOW_SECONDS) || 60;
    const superviseChild = (name: string, script: string): void => {
      let child: ChildProcess;
      let restartTimer: NodeJS.Timeout | undefined;
      let failures: number[] = []; // when it died, within the window
      const launch = () => {
        if (stopping) return;
        child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { cwd: ROOT, env, stdio: 'inherit', detached: true });
        children.push(child);
        const current = child;
        current.once('exit', (code, signal) => {
          children.splice(children.indexOf(current), 1);
          if (stopping) return;
          const now = Date.now();
          failures = [...failures.filter((t) => now - t < windowSeconds * 1000), now];
          const exit = signal ?? `code ${code}`;
          if (failures.length > restartLimit) {
            say(`${name} failed ${failures.length} times within ${windowSeconds} s; stopping everything. Its last exit: ${exit}`);
            void shutdown(1);
            return;
          }
          const delayMs = Math.min(1000 * 2 ** (failures.length - 1), 15_000);
          say(`${name} exited unexpectedly (${exit}); restarting in ${delayMs / 1000} s (restart ${failures.length} of ${restartLimit} within ${windowSeconds} s)`);
          restartTimer = setTimeout(launch, delayMs);
        });
      };
      launch();
      // Stops whichever process is current, and any restart still pending.
      started.push({
        name,
        stop: async () => {
          clearTimeout(restartTimer);
          await stopChild(child, 10_000);
        },
      });
    };
    superviseChild('worker', 'src/worker.ts');
    superviseChild('api', 'src/server.ts');
    await waitUntilReady(`http://127.0.0.1:${apiPort}/readyz`, 90_000);

    const api = `http://localhost:${apiPort}`;
    console.log(
      [
        '',
        '  Sotally is running.',
        `  API          ${api}`,
        `  API docs     ${api}/docs`,
        `  Temporal UI  ${temporalUiUrl ?? '(external Temporal: see your cluster)'}`,
        `  Model        ${modelLine}`,
        `  Mail         ${mailLine}`,
        `  Demo log-ins ${path.relative(ROOT, path.join(dataDir, 'demo-accounts.txt')) || 'demo-accounts.txt'} (README: Quickstart)`,
        '  Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    await shutdown(1);
  }
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the API did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

void main();
