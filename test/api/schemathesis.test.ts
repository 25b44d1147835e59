// The OpenAPI document against the running service, by a property-based
// fuzzer: Schemathesis (pinned in test-tools-requirements.txt) generates
// requests from /openapi.json, valid and invalid, single calls and stateful
// sequences (create a tool, read it, run it, delete it ...), and checks every
// answer against the document: no 5xx, only documented statuses, headers and
// content types, response bodies matching their schemas, valid data accepted,
// invalid data refused, auth not ignored, deleted resources gone.
//
// Every check, every phase, a fixed seed and a bounded time, so a run is reproducible and takes about two
// minutes. Zero failures are allowed, except the few business outcomes it
// cannot know about, each listed with its reason in schemathesis.toml.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signedUpClient } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startExecutionStack, type ExecutionStack } from '../helpers/stack';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe';
import { createLedger } from '../../src/credits/ledger';
import { ensureTestTools, ROOT } from '../../scripts/lib/temporal-binaries';
import { grantRole } from '../helpers/accounts';

const SEED = '20261128';
const MAX_TIME_SECONDS = process.env.SCHEMATHESIS_MAX_TIME ?? '100';

let stack: ExecutionStack;
let stripe: FakeStripe;
let token: string;
beforeAll(async () => {
  ensureTestTools();
  stripe = await startFakeStripe();
  stack = await startExecutionStack({
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: 'whsec_schemathesis',
    STRIPE_API_URL: stripe.url,
    // The fuzzer sends thousands of requests from one address and one user: the limits are tested elsewhere.
    AUTH_RATE_LIMIT_MAX: '1000000',
    EXECUTION_RATE_LIMIT_MAX: '1000000',
    EMAIL_CHANGE_RATE_LIMIT_MAX: '1000000',
    MAX_CONCURRENT_EXECUTIONS: '1000',
    LOG_LEVEL: 'warn',
  });
  const { client, user, email } = await signedUpClient(stack.api.baseUrl, 'Fuzzer');
  // An operator, so the admin routes (metrics, codec, credit adjustments) are tested past their 403.
  await grantRole(testPrisma(), email, 'admin');
  await createLedger(testPrisma(), { reservationTtlMs: 60_000 }).adjust({
    accountId: user.id,
    credits: 1_000_000,
    reason: 'contract fuzzing',
    operator: 'test',
    requestKey: `fuzz-${user.id}`,
  });
  token = (await client.post('/v1/auth/tokens', { name: 'schemathesis' })).body.token;
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await stripe?.close();
  await closeTestPrisma();
});

function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(ensureTestTools(), args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('the service keeps every promise of its OpenAPI document under property-based fuzzing', async () => {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'schemathesis-'));
  const junit = path.join(reports, 'junit.xml');
  const { code, output } = await runSchemathesis([
    '--config-file',
    path.join(ROOT, 'schemathesis.toml'),
    'run',
    `${stack.api.baseUrl}/openapi.json`,
    // Every check runs (Schemathesis's default); `--checks all` here would override the
    // per-operation narrowing in schemathesis.toml.
    '--phases',
    'examples,coverage,fuzzing,stateful',
    '--seed',
    SEED,
    // No examples saved from earlier runs: every run is the same run, here and on a fresh clone.
    '--generation-database',
    'none',
    '--max-time',
    MAX_TIME_SECONDS,
    // One worker: Hypothesis's lambda-source cache is not thread-safe (runtime errors with 2).
    '--workers',
    '1',
    '--header',
    `Authorization: Bearer ${token}`,
    '--report',
    'junit',
    '--report-junit-path',
    junit,
  ]);
  const outputFile = path.join(reports, 'output.txt');
  // The server's side of any 5xx: its error log lines (request ids match the answers' details.requestId).
  const serverErrors = stack.api.logLines.filter((line) => /"level":(50|60)/.test(line));
  writeFileSync(outputFile, `${output}\n\nAPI error log lines:\n${serverErrors.join('\n')}\n`);
  // The failures themselves (operation, request as curl, answer) come first: they sit above the
  // warnings and the summary, which a report of the last lines alone would cut off.
  const failures = /={3,} FAILURES ={3,}([\s\S]*?)\n={3,} /.exec(output)?.[1]?.trim().slice(0, 6000);
  const summary = [
    ...(failures ? ['Failures:', failures, ''] : []),
    output.split('\n').slice(-60).join('\n'),
    ...(serverErrors.length ? ['API error log lines:', ...serverErrors.slice(0, 5).map((line) => line.slice(0, 3000))] : []),
    `(the whole output: ${outputFile})`,
  ].join('\n');
  // The run happened and tested the operations (not a schema-loading error that tests nothing).
  if (!existsSync(junit)) throw new Error(`Schemathesis did not run (exit ${code}):\n${summary}`);
  expect(readFileSync(junit, 'utf8')).toMatch(/<testcase/);
  if (code !== 0) throw new Error(`Schemathesis found failures (exit ${code}):\n${summary}`);
  expect(output).toMatch(/No issues found|passed/i);
}, 300_000);
