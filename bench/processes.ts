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

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}
type Frame = CpuProfile['nodes'][number]['callFrame'];

/**
 * Self time (µs) by group over the samples whose time (µs since the profile's start) `inWindow`
 * accepts, idle time left out. `group` names the group of a sample's node id.
 */
function selfTime(profile: CpuProfile, inWindow: (elapsedUs: number) => boolean, group: (id: number) => string) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byGroup = new Map<string, number>();
  let busyUs = 0;
  let elapsedUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    elapsedUs += dt;
    if (!inWindow(elapsedUs)) return;
    const name = frames.get(id)!.functionName;
    if (name === '(idle)' || name === '(program)') return;
    const key = group(id);
    byGroup.set(key, (byGroup.get(key) ?? 0) + dt);
    busyUs += dt;
  });
  return { busyUs, byGroup };
}

const readProfile = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

/** Self time by package (or Node internals), in % of the profile's busy time after `skipMs` (start-up). */
export function summarizeProfile(file: string, skipMs: number): [string, number][] {
  const profile = readProfile(file);
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const group = (frame: Frame) => {
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
  const { busyUs, byGroup } = selfTime(profile, (elapsedUs) => elapsedUs >= skipMs * 1000, (id) => group(frames.get(id)!));
  return [...byGroup].map(([k, v]) => [k, (100 * v) / busyUs] as [string, number]).sort((a, b) => b[1] - a[1]);
}

/** The SDK's promise hook records a stack trace for every promise a workflow makes (its stack-trace query). */
const STACK_TRACES = 'Temporal SDK: a stack trace for every workflow promise (capture, filters, source maps)';

/** The owner a group of `profileOwners` belongs to. */
export function ownerOf(group: string): 'the Temporal SDK' | 'this code' | 'both: the workflow bundle' | 'Node.js and V8 (for both)' {
  if (group.startsWith('Temporal SDK')) return 'the Temporal SDK';
  if (group.startsWith('this code')) return 'this code';
  if (group.startsWith('workflow bundle')) return 'both: the workflow bundle';
  return 'Node.js and V8 (for both)';
}

/**
 * Who owns the busy time of one thread's profile (a worker's main thread, or a workflow thread of
 * its V8 sandbox): µs of self time by group, for each window, a window ending `endsBeforeExitMs`
 * before the profile ends (the process's exit) and lasting `lengthMs`. A frame of the workflow
 * bundle counts as this code's module evaluation when it runs under one of this code's module
 * factories (the SDK evaluates the workflow modules again for every new workflow), else as the
 * bundle's running code: the SDK's workflow library and this code's workflow functions together.
 */
export function profileOwners(file: string, windows: { endsBeforeExitMs: number; lengthMs: number }[]): { busyUs: number; byGroup: Map<string, number> }[] {
  const profile = readProfile(file);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const underOwnModule = (id: number) => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (/^\.\/src\//.test(nodes.get(cur)!.callFrame.functionName)) return true;
    }
    return false;
  };
  const group = (id: number) => {
    const frame = nodes.get(id)!.callFrame;
    if (!frame.url) {
      if (frame.functionName === '(garbage collector)') return 'V8: garbage collector';
      if (frame.functionName === 'runInContext') return 'Temporal SDK: entering the workflow sandbox (vm runInContext)';
      if (frame.functionName === 'postMessage') return 'Temporal SDK: messages between the main and workflow threads';
      if (frame.functionName === 'writev') return 'socket writes (Postgres queries, log lines, gRPC)';
      if (frame.functionName === 'get stack' || frame.functionName.startsWith('RegExp:')) return STACK_TRACES;
      return `native: ${frame.functionName || '(anonymous)'}`;
    }
    if (frame.url.includes('workflow-bundle')) {
      return underOwnModule(id) ? "this code: its workflow modules' evaluation, once per new workflow" : "workflow bundle: the SDK's workflow library and this code's workflows";
    }
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
    if (pkg?.startsWith('@temporalio/')) return `Temporal SDK: ${pkg}`;
    if (pkg === 'source-map') return STACK_TRACES;
    if (pkg === 'rxjs' || pkg === 'protobufjs') return `Temporal SDK's dependencies: ${pkg}`;
    if (pkg === 'pg' || pkg === 'pg-pool' || pkg === 'pg-protocol') return 'this code: Postgres driver (pg)';
    if (pkg === 'openai') return 'this code: model client (openai)';
    if (pkg?.startsWith('@prisma/')) return 'this code: Prisma';
    if (pkg) return pkg;
    if (frame.url.startsWith('wasm://')) return 'this code: Prisma (query compiler, WebAssembly)';
    if (/\/(?:dist\/)?src\//.test(frame.url)) return 'this code: src/';
    if (frame.url.startsWith('node:internal/deps/undici')) return 'this code: model client (fetch)';
    if (frame.url.startsWith('node:internal/crypto') || frame.url === 'node:crypto') return 'this code: encryption (node:crypto)';
    if (frame.url.startsWith('evalmachine') || frame.url === 'node:vm') return 'Temporal SDK: entering the workflow sandbox (vm runInContext)';
    if (frame.url === 'node:internal/source_map/source_map_cache' || frame.url === 'node:internal/promise_hooks') return STACK_TRACES;
    if (frame.url.startsWith('node:')) return `Node.js: ${frame.url.slice(5).replace(/^internal\//, '').split('/')[0]}`;
    return frame.url;
  };
  const durationUs = profile.endTime - profile.startTime;
  return windows.map(({ endsBeforeExitMs, lengthMs }) => {
    const to = durationUs - endsBeforeExitMs * 1000;
    const from = to - lengthMs * 1000;
    return selfTime(profile, (elapsedUs) => elapsedUs >= from && elapsedUs <= to, group);
  });
}
