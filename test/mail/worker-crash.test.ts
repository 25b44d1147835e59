// The worker process is killed in the middle of sending mail: the SMTP server
// has every message's DATA but holds its answer (it has accepted nothing: a
// server takes a message only with its 250), and the worker dies with the rows
// locked. A new worker picks the deliveries up (the activities' heartbeats stop,
// Temporal retries them there) and every mail is accepted exactly once, counted
// by Message-ID and recipient, and every outbox row ends sent.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { createDataKeys } from '../../src/crypto/data-keys';
import { mailDeliveryWorkflowId } from '../../src/mail/contract';
import { mailDelivery } from '../../src/mail/delivery';
import { createMailService } from '../../src/mail/service';
import { createAccount } from '../helpers/accounts';
import { capturingLogger, closeTestPrisma, testConfig, testPrisma } from '../helpers/env';
import { killProcess, startWorkerProcess } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';

const MAILS = 5;
const prisma = testPrisma();
const workers: ChildProcess[] = [];
let smtp: FakeSmtp;
let config: ReturnType<typeof testConfig>;
let temporal: ReturnType<typeof createTemporalClient>;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  config = testConfig({ TEMPORAL_TASK_QUEUE: `mail-crash-${randomUUID()}`, SMTP_URL: smtp.url });
  temporal = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
});

afterAll(async () => {
  for (const worker of workers) await killProcess(worker);
  smtp?.releaseAnswers();
  await smtp?.close();
  await temporal?.connection.close();
  await closeTestPrisma();
});

async function startWorker() {
  const worker = await startWorkerProcess(config, { SMTP_URL: smtp.url });
  workers.push(worker);
  return worker;
}

it('killing the worker while SMTP holds its answers sends each mail exactly once, from the next worker', async () => {
  const mail = createMailService({ prisma, dataKeys: createDataKeys(prisma, Keyring.parse(config.DATA_ENCRYPTION_KEYS), config), transport: null, from: config.MAIL_FROM });
  const deliver = mailDelivery(temporal, config.TEMPORAL_TASK_QUEUE, capturingLogger().logger);
  const queued: { id: string; email: string }[] = [];
  for (let i = 0; i < MAILS; i += 1) {
    const account = await createAccount(prisma, `Crash ${i}`);
    const id = await mail.enqueue({ userId: account.id, purpose: 'security_alert', dedupeKey: `crash-${randomUUID()}`, recipient: account.email, data: { type: 'api_token_created', at: new Date().toISOString() } });
    queued.push({ id, email: account.email });
  }

  smtp.holdAnswers();
  const first = await startWorker();
  for (const { id } of queued) await deliver(id);
  await waitFor(async () => smtp.held === MAILS, { what: 'every message to reach the end of DATA, its answer held', timeoutMs: 30_000 });
  await killProcess(first);
  await waitFor(async () => smtp.heldClientsGone === MAILS, { what: 'the SMTP server to see the killed worker hang up' });
  smtp.releaseAnswers(); // answered too late: the client is gone, nothing is accepted
  expect(smtp.messages).toHaveLength(0);
  expect(await prisma.mailOutbox.count({ where: { id: { in: queued.map((q) => q.id) }, sentAt: null } })).toBe(MAILS);

  const restartedAt = Date.now();
  await startWorker();
  for (const { id } of queued) expect(await temporal.workflow.getHandle(mailDeliveryWorkflowId(id)).result()).toBe('sent');
  console.log(`after the crash, the new worker sent all ${MAILS} mails within ${Date.now() - restartedAt} ms of its start`);

  const accepted = smtp.messages.map((m) => `${m.header('message-id')} ${m.to.join(',')}`).sort();
  expect(accepted).toEqual(queued.map(({ id, email }) => `<${id}@outbox.sotally> ${email}`).sort());
  const rows = await prisma.mailOutbox.findMany({ where: { id: { in: queued.map((q) => q.id) } } });
  expect(rows.every((row) => row.sentAt !== null)).toBe(true);
  // Each row was tried by the killed worker (rolled back with its transaction) and sent by the new one.
  expect(rows.map((row) => row.attempts)).toEqual(Array(MAILS).fill(1));
}, 120_000);
