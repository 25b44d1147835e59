// Processes of a supervisor under test (`npm start`): its process tree, what
// each one runs, and stopping it with a check that nothing is left behind.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Every descendant of `pid` (children, grandchildren ...), alive now. */
export function descendants(pid: number): number[] {
  let out: string;
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when there are none
  }
  const kids = out.split('\n').filter(Boolean).map(Number);
  return kids.flatMap((kid) => [kid, ...descendants(kid)]);
}

/** The command line of `pid` (at most `maxLength` characters), or '(gone)'. */
export function commandLine(pid: number, maxLength = Infinity): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, maxLength);
  } catch {
    return '(gone)';
  }
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StoppedTree {
  /** The descendants of the root when `stop` was called. */
  pids: number[];
  /** The root's exit code, or 'timeout' if it had not exited within `exitTimeoutMs`. */
  code: number | null | 'timeout';
  /** Those of `pids` still alive afterwards, each as `<pid> <command line>`: [] when all are gone. */
  leftovers: string[];
}

/**
 * Stops a supervisor and its tree: notes `root`'s descendants (and their command lines), calls
 * `stop`, waits up to `exitTimeoutMs` for `exited`, then up to 5 s for the noted processes to be
 * gone (Postgres' own helper processes may take a moment after the supervisor has exited).
 */
export async function stopProcessTree(
  root: number,
  exited: Promise<number | null>,
  stop: () => unknown,
  { exitTimeoutMs = 30_000, commandLength = Infinity }: { exitTimeoutMs?: number; commandLength?: number } = {},
): Promise<StoppedTree> {
  const pids = descendants(root);
  const commandOf = new Map(pids.map((pid) => [pid, commandLine(pid, commandLength)]));
  await stop();
  const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), exitTimeoutMs).unref())]);
  for (let i = 0; i < 50 && pids.some(alive); i += 1) await sleep(100);
  return { pids, code, leftovers: pids.filter(alive).map((pid) => `${pid} ${commandOf.get(pid) ?? ''}`) };
}
