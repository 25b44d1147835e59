// The worker dies in the middle of an incident's notices (killed while the SMTP
// server holds its answers to the messages in flight): the next worker takes the
// batch over (the activity's heartbeats stop, Temporal retries it there) and
// every affected user ends with exactly one notice.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { PrismaClient } from '@prisma/client';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { incidentWorkflow } from '../../src/incidents/workflows';
import { incidentWorkflowId } from '../../src/incidents/contract';
import { isolatedDatabase, testConfig } from '../helpers/env';
import { bulkUsers, incidentInput } from '../helpers/incidents';
import { killProcess, startWorkerProcess } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';

const USERS = 400;
const workers: ChildProcess[] = [];
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;
let smtp: FakeSmtp;
let config: ReturnType<typeof testConfig>;
let temporal: ReturnType<typeof createTemporalClient>;

beforeAll(async () => {
  db = await isolatedDatabase('incident_restart');
  prisma = db.prisma;
  smtp = await startFakeSmtp();
  config = testConfig({ DATABASE_URL: db.url, TEMPORAL_TASK_QUEUE: `incident-restart-${randomUUID()}`, SMTP_URL: smtp.url });
  temporal = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await killProcess(worker);
  smtp?.releaseAnswers();
  await smtp?.close();
  await temporal?.connection.close();
  await db?.close();
});

async function startWorker() {
  const worker = await startWorkerProcess(config, { SMTP_URL: smtp.url });
  workers.push(worker);
  return worker;
}

it('a worker killed mid-notification: the next one finishes, and nobody gets a notice twice', async () => {
  const users = await bulkUsers(prisma, USERS, `restart${randomUUID().slice(0, 6)}`);
  const first = await startWorker();
  const input = incidentInput(new Date(), { userIds: users.map((u) => u.id) }, { personalDataExposed: false });
  const handle = await temporal.workflow.start(incidentWorkflow, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: incidentWorkflowId(input.id), args: [input] });

  await waitFor(async () => smtp.messages.length >= 100, { what: 'a hundred notices', timeoutMs: 60_000, intervalMs: 20 });
  smtp.holdAnswers();
  await waitFor(async () => smtp.held > 0, { what: 'a notice in flight, its answer held' });
  await killProcess(first);
  await waitFor(async () => smtp.heldClientsGone === smtp.held, { what: 'the SMTP server to see the killed worker hang up' });
  smtp.releaseAnswers(); // too late: the client is gone, nothing in flight was accepted
  const beforeRestart = smtp.messages.length;
  expect(beforeRestart).toBeLessThan(USERS);

  await startWorker();
  await waitFor(async () => (await prisma.incidentRecipient.count({ where: { incidentId: input.id, noticeVersion: 1 } })) === USERS, {
    what: 'every user notified by the new worker',
    timeoutMs: 90_000,
    intervalMs: 250,
  });
  console.log(`killed after ${beforeRestart} notices; the new worker sent the other ${smtp.messages.length - beforeRestart}`);
  const perUser = users.map((u) => smtp.messages.filter((m) => m.to.includes(u.email)).length);
  expect(perUser).toEqual(Array(USERS).fill(1));
  expect((await handle.describe()).status.name).toBe('RUNNING'); // the saga goes on (waiting for the report)
}, 180_000);
