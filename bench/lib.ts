// Shared bench plumbing: a database to measure against, timing, and writing a
// section of docs/BENCHMARKS.md between markers.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase, freePort, migrateDatabase, startEmbeddedPostgres } from '../scripts/lib/dev-services';
import { ROOT } from '../scripts/lib/temporal-binaries';
import { loadConfig } from '../src/config';
import { Keyring } from '../src/crypto/keyring';

/** DATABASE_URL's server, else an embedded Postgres under .data/bench-postgres; a fresh database either way. */
export async function benchDatabase(name: string): Promise<{ url: string; stop(): Promise<void> }> {
  let adminUrl = process.env.DATABASE_URL;
  let stop: () => Promise<void> = async () => undefined;
  if (!adminUrl) {
    const pg = await startEmbeddedPostgres({ dataDir: path.join(ROOT, '.data', 'bench-postgres'), port: await freePort() });
    adminUrl = pg.adminUrl;
    stop = pg.stop;
  }
  const url = await ensureDatabase(adminUrl, name, { recreate: true });
  migrateDatabase(url);
  return { url, stop };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function markdownTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Replaces the text between <!-- name:start --> and <!-- name:end --> in docs/BENCHMARKS.md (appending the section if new). */
export function writeBenchmarkSection(name: string, body: string): void {
  const file = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nMade by `npm run bench` on the machine named in each section.\n';
  const section = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export interface Sample {
  /** Sorted, in ms. */
  latencies: number[];
  seconds: number;
}

/** Runs `once` `runs` times from `concurrency` concurrent loops; `once` gets its loop's index. */
export async function measure(concurrency: number, runs: number, once: (loop: number) => Promise<unknown>): Promise<Sample> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (started < runs) {
        started += 1;
        const t = performance.now();
        await once(loop);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The configuration of a bench that runs the real worker activities: the bench database, its own
 * Temporal dev server and SMTP catcher, a fresh keyring and secrets, `overrides` on top.
 */
export function benchWorkerConfig(name: string, where: { databaseUrl: string; temporalAddress: string; smtpUrl: string }, overrides: Record<string, string> = {}) {
  const keySpec = Keyring.generateSpec('v1');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: where.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    DATA_ENCRYPTION_KEYS: keySpec,
    EMAIL_INDEX_KEY: randomBytes(32).toString('base64'),
    RATE_LIMIT_KEY_SECRET: randomBytes(32).toString('base64'),
    TEMPORAL_ADDRESS: where.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-${name}-${randomUUID()}`,
    SMTP_URL: where.smtpUrl,
    PASSWORD_COST_LOG2: '14',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
  return { config, keyring: Keyring.parse(keySpec) };
}
