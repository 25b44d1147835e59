// Shared bench plumbing: a database to measure against, timing, and writing a
// section of docs/BENCHMARKS.md between markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase, freePort, migrateDatabase, startEmbeddedPostgres } from '../scripts/lib/dev-services';
import { ROOT } from '../scripts/lib/temporal-binaries';

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
