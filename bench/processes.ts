// What processes cost while a bench runs: CPU seconds from /proc (Linux), and a V8 CPU profile
// (--cpu-prof) summarized by package.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU seconds (user + system) of a process so far, from /proc (Linux); with `reapedChildren`, also
 * that of its children that have exited (cutime, cstime).
 */
export function cpuSeconds(pid: number, { reapedChildren = false } = {}): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = Number(fields[11]) + Number(fields[12]); // utime, stime in clock ticks (100/s)
    return (own + (reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0)) / 100;
  } catch {
    return 0;
  }
}

/** The pids of Postgres's processes (every server and its backends) on this machine. */
export function postgresPids(): number[] {
  const out = spawnSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}
/**
 * Postgres's CPU so far: its live processes, and the backends that have exited (a pool closing
 * idle connections), which their server counts as reaped children.
 */
export const postgresCpu = () => postgresPids().reduce((sum, pid) => sum + cpuSeconds(pid, { reapedChildren: true }), 0);

/** Self time by package (or Node internals), in % of the profile's busy time after `skipMs` (start-up). */
export function summarizeProfile(file: string, skipMs: number): [string, number][] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const group = (frame: { functionName: string; url: string }) => {
    if (!frame.url) return frame.functionName === '(garbage collector)' ? 'garbage collector' : `native: ${frame.functionName}`;
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
    if (pkg) return pkg[1]!;
    if (frame.url.startsWith('wasm://')) return '@prisma/client (query compiler, WebAssembly)';
    const own = /\/(?:dist\/)?src\/([^/]+)/.exec(frame.url);
    if (own && !frame.url.includes('node_modules')) return `src/${own[1]!.replace(/\.[jt]s$/, '')}`;
    if (frame.url.includes('workflow-bundle') || frame.url.startsWith('webpack')) return 'workflow code (the bundle, in the worker\'s V8 sandbox)';
    if (frame.url.startsWith('node:')) return `node: ${frame.url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
    return frame.url;
  };
  const self = new Map<string, number>();
  let busy = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    if (elapsedUs < skipMs * 1000) return;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
    const key = group(frame);
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    busy += dt;
  });
  return [...self].map(([k, v]) => [k, (100 * v) / busy] as [string, number]).sort((a, b) => b[1] - a[1]);
}

