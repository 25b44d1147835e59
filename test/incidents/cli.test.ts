// `npm run incident` against the real Temporal dev server, a real worker, a
// database of its own and a local SMTP server, starting from copies of the
// runbook's example (docs/examples/incident.json): an input the workflow
// refuses (no discoveredAt, an unknown selector, discovery in the future) makes
// the command exit 1 naming the problem, with no incident recorded and no mail
// sent; a valid one is recorded and shown by `status`, the affected user is
// notified, `confirm-report` shows the authority's reference, `report` prints
// the document, `list` shows it by its deadline, and `close` ends the saga.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { createTemporalClient } from '../../src/client';
import { incidentStatusQuery, incidentWorkflowId, type IncidentStatus } from '../../src/incidents/contract';
import { createAccount } from '../helpers/accounts';
import { isolatedDatabase, testConfig, TEST_EMAIL_INDEX_KEY, TEST_KEYS } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'examples', 'incident.json'), 'utf8')) as Record<string, unknown>;

let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;
let smtp: FakeSmtp;
let config: Config;
let worker: TestWorker;
let temporal: Client;

beforeAll(async () => {
  db = await isolatedDatabase('incident_cli');
  prisma = db.prisma;
  smtp = await startFakeSmtp();
  config = testConfig({ DATABASE_URL: db.url, SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: `incident-cli-${randomUUID()}` });
  worker = await startTestWorker(config);
  temporal = createTemporalClient(config, Keyring.parse(TEST_KEYS));
}, 120_000);

afterAll(async () => {
  await temporal?.connection.close();
  await worker?.stop();
  await smtp?.close();
  await db?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run incident -- <args>`, as an operator runs it: only the environment the worker has. */
function incident(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/incident.ts', ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: config.DATABASE_URL,
          DATA_ENCRYPTION_KEYS: TEST_KEYS,
          EMAIL_INDEX_KEY: TEST_EMAIL_INDEX_KEY,
          RATE_LIMIT_KEY_SECRET: config.RATE_LIMIT_KEY_SECRET,
          TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
          TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A copy of the runbook's example with `changes` applied (undefined removes a field), as a file. */
function exampleFile(changes: Record<string, unknown>): string {
  const input: Record<string, unknown> = { ...EXAMPLE, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete input[key];
  const file = path.join(tmpdir(), `incident-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(input));
  return file;
}

/** The JSON the command printed before its one-line summary. */
const printedStatus = (stdout: string): IncidentStatus => JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('\n}') + 2)) as IncidentStatus;

async function statusOf(id: string): Promise<IncidentStatus | null> {
  return temporal.workflow.getHandle(incidentWorkflowId(id)).query(incidentStatusQuery);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

describe('an input the workflow refuses', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no discoveredAt', { discoveredAt: undefined }, /discoveredAt: Required/],
    ['an unknown selector', { affected: { usersOfTool: randomUUID() } }, /affected: /],
    ['discovery in the future', { discoveredAt: new Date(Date.now() + 2 * 3_600_000).toISOString() }, /discoveredAt: .* is in the future/],
  ];

  it.each(cases)('%s: exit 1 naming the problem, nothing recorded, no mail', async (_name, changes, problem) => {
    const user = await createAccount(prisma, 'Would Be Affected');
    const id = randomUUID();
    const affected = 'affected' in changes ? {} : { affected: { userIds: [user.id] } };
    const run = await incident('start', exampleFile({ id, ...affected, ...changes }));

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the incident was not started: the workflow ${incidentWorkflowId(id)} refused its input`);
    expect(run.stderr).toMatch(problem);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(await prisma.incident.count({ where: { id } })).toBe(0);
    expect(await prisma.incidentRecipient.count({ where: { userId: user.id } })).toBe(0);
    // The workflow failed before any step: no activity was ever scheduled, so no mail can follow.
    const history = await temporal.workflow.getHandle(incidentWorkflowId(id)).fetchHistory();
    expect(history.events?.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
    expect(smtp.messages.filter((m) => m.to.includes(user.email))).toHaveLength(0);
    // `status` says why too, decoded (the Temporal UI shows "Encoded failure" without the codec).
    const status = await incident('status', id);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(problem);
  }, 60_000);
});

it('start, status, report, confirm-report, list and close: the saga as the runbook drives it', async () => {
  const user = await createAccount(prisma, 'Affected Reader');
  const discoveredAt = hoursAgo(1);
  // The example with no id (the command adds one), discovered an hour ago, for this test's user.
  const started = await incident('start', exampleFile({ discoveredAt, affected: { userIds: [user.id] } }));
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  const id = /^incident ([0-9a-f-]{36}) started$/m.exec(started.stdout)?.[1] as string;
  expect(id).toBeDefined();
  expect(started.stdout).toContain(`workflow   ${incidentWorkflowId(id)}`);
  const notifyBy = new Date(Date.parse(discoveredAt) + 72 * 3_600_000).toISOString();
  expect(started.stdout).toContain(`notify by  ${notifyBy}`);
  expect(printedStatus(started.stdout)).toMatchObject({ id, discoveredAt: new Date(discoveredAt).toISOString(), notifyBy, retracted: false });
  expect(await prisma.incident.count({ where: { id } })).toBe(1);

  await until('the affected user is notified', async () => (await statusOf(id))?.affected.notified === 1);
  const status = await incident('status', id);
  expect(status.code).toBe(0);
  expect(printedStatus(status.stdout)).toMatchObject({ id, affected: { total: 1, notified: 1, failed: 0, pending: 0 }, offers: { issued: 1 }, authorityReport: { status: 'prepared' } });
  expect(printedStatus(status.stdout).hoursLeft).toBeCloseTo(71, 0);
  expect(status.stdout).toMatch(/^waiting; 71(\.\d)? h left .*affected 1: 1 notified, 0 failed, 0 pending, 0 corrected; .*authority report prepared; 0 escalations$/m);
  expect(smtp.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1);

  const report = await incident('report', id);
  expect(report.code).toBe(0);
  expect(JSON.parse(report.stdout)).toMatchObject({ incidentId: id, phase: 'initial', peopleAffected: { approximate: 1 }, discoveredAt: new Date(discoveredAt).toISOString() });

  const confirmed = await incident('confirm-report', id, 'DPA-2026-0042');
  expect(confirmed.code).toBe(0);
  expect(confirmed.stdout).toContain(`sent confirmAuthorityReport {"reference":"DPA-2026-0042","phase":"initial"} to ${incidentWorkflowId(id)}`);
  await until('the report is confirmed', async () => (await statusOf(id))?.authorityReport.reference === 'DPA-2026-0042');
  const after = await incident('status', id);
  expect(printedStatus(after.stdout).authorityReport).toMatchObject({ status: 'submitted', reference: 'DPA-2026-0042', phases: [{ phase: 'initial', reference: 'DPA-2026-0042' }] });
  expect(after.stdout).toContain('authority report submitted (DPA-2026-0042)');

  // The visibility store (what `list` and the Temporal UI read) catches up within moments.
  const listed = new RegExp(`^${notifyBy} +\\S+ h  waiting +${id}$`, 'm');
  await until('list shows the incident', async () => listed.test((await incident('list')).stdout), 15_000);

  const closed = await incident('close', id);
  expect(closed.code).toBe(0);
  await expect(temporal.workflow.getHandle(incidentWorkflowId(id)).result()).resolves.toMatchObject({ status: 'closed' });
  expect(printedStatus((await incident('status', id)).stdout).status).toBe('closed');
  expect(smtp.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1);
}, 120_000);

it('refuses what is not an incident id, a signal the saga would ignore, and an unknown incident', async () => {
  const notId = await incident('status', 'incident-123');
  expect(notId.code).toBe(2);
  expect(notId.stderr).toContain('not an incident id (a UUID): incident-123');
  expect((await incident('confirm-report', randomUUID(), 'REF', '--phase', 'final')).code).toBe(2);
  expect((await incident('retract', randomUUID())).code).toBe(2); // no --reason
  expect((await incident('add-users', randomUUID(), 'someone')).stderr).toContain('not user ids (UUIDs): someone');

  const unknown = randomUUID();
  const status = await incident('status', unknown);
  expect(status.code).toBe(1);
  expect(status.stderr).toContain(`no incident ${unknown}`);
  const confirm = await incident('confirm-report', unknown, 'REF');
  expect(confirm.code).toBe(1);
  expect(confirm.stderr).toContain('not_found');

  const blank = exampleFile({});
  writeFileSync(blank, '{"title": ');
  const broken = await incident('start', blank);
  expect(broken.code).toBe(1);
  expect(broken.stderr).toContain(`${blank} is not JSON`);
}, 60_000);
