// The breach-response saga on Temporal's time-skipping test server, against a
// real Postgres (a database of its own: the outbox's safety net in other test
// files must not send this file's mail) and a local SMTP server: within 72 hours
// of discovery every affected user is notified once, the authority report holds
// every field Art. 33(3) asks for, credit-monitoring codes go out only when
// personal data was exposed, failing mailboxes are retried until they take the
// notice, escalations arrive at 24 h, 48 h and 66 h when steps are not done,
// a missed deadline is recorded with its reason, and a retraction corrects
// exactly those who were told.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { PrismaClient } from '@prisma/client';
import { createDataConverter } from '../../src/temporal/codec';
import { Keyring } from '../../src/crypto/keyring';
import { DataKeys } from '../../src/crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { temporalBinary } from '../../scripts/lib/temporal-binaries';
import { incidentWorkflow } from '../../src/incidents/workflows';
import {
  closeIncidentSignal,
  confirmAuthorityReportSignal,
  incidentStatusQuery,
  incidentWorkflowId,
  retractSignal,
  type IncidentStart,
  type IncidentStatus,
} from '../../src/incidents/contract';
import { createIncidents, incidentSettings } from '../../src/incidents/service';
import { registerSearchAttributes, startTestWorker, type TestWorker } from '../helpers/worker';
import { isolatedDatabase, testConfig, TEST_KEYS } from '../helpers/env';
import { bulkUsers, incidentInput, type BulkUser } from '../helpers/incidents';
import { startFakeSmtp, type FakeSmtp, type CapturedMail } from '../fakes/smtp';
import type { Config } from '../../src/config';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;
let smtp: FakeSmtp;
let config: Config;
let worker: TestWorker;
let temporal: Client;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalBinary('test-server') } } });
  await registerSearchAttributes(env.connection); // the Temporal UI lists open incidents by these
  db = await isolatedDatabase('incident_saga');
  prisma = db.prisma;
  smtp = await startFakeSmtp();
  // A short history limit: every incident of this file continues as new, some several times, and must not notice.
  config = testConfig({ DATABASE_URL: db.url, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `incident-${randomUUID()}`, SMTP_URL: smtp.url, BREACH_CONTINUE_AS_NEW_EVENTS: '150' });
  worker = await startTestWorker(config);
  temporal = new Client({ connection: env.connection, dataConverter: createDataConverter(Keyring.parse(TEST_KEYS)) });
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await smtp?.close();
  await env?.teardown();
  await db?.close();
});

const incidents = () => createIncidents(prisma, incidentSettings(config));
const serverNow = async () => new Date(await env.currentTimeMs());
const mailTo = (address: string, subject?: RegExp): CapturedMail[] =>
  smtp.messages.filter((m) => m.to.includes(address) && (!subject || subject.test(m.header('subject') ?? '')));
const notices = (users: BulkUser[]) => users.map((u) => mailTo(u.email, /^Security incident/).length);

async function start(input: IncidentStart & { id: string }) {
  return temporal.workflow.start(incidentWorkflow, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: incidentWorkflowId(input.id), args: [input] });
}

/** How many runs the incident's workflow has had (continue-as-new starts a new run under the same id). */
async function runsOf(id: string): Promise<number> {
  let runs = 0;
  for (let runId: string | undefined = (await temporal.workflow.getHandle(incidentWorkflowId(id)).describe()).runId; runId; runs += 1) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await temporal.workflow.getHandle(incidentWorkflowId(id), runId).fetchHistory();
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
  }
  return runs;
}

async function status(id: string): Promise<IncidentStatus> {
  return incidents().status(id, await env.currentTimeMs());
}

/** Mail's plain-text part, unfolded enough to search (quoted-printable soft breaks removed). */
const bodyOf = (mail: CapturedMail) => mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

it('1,000 affected users are each notified once within 72 hours; the authority report has every field; offers go out when personal data was exposed', async () => {
  const users = await bulkUsers(prisma, 1000, `thousand${randomUUID().slice(0, 6)}`);
  const discoveredAt = await serverNow();
  const input = incidentInput(discoveredAt, { userIds: users.map((u) => u.id) }, { dataCategories: ['names', 'email addresses', 'run inputs'] });
  const handle = await start(input);

  await env.sleep('2h');
  const after = await status(input.id);
  expect(after.affected).toMatchObject({ total: 1000, notified: 1000, failed: 0, pending: 0 });
  expect(after.offers.issued).toBe(1000);
  expect(notices(users)).toEqual(Array(1000).fill(1));
  // Sent within the deadline, on the saga's clock.
  const notifiedAt = await prisma.incidentRecipient.findMany({ where: { incidentId: input.id }, select: { notifiedAt: true } });
  expect(notifiedAt.every((r) => r.notifiedAt !== null)).toBe(true);

  // Each notice: what happened, when, which data, what we did, what to do, the contact, and this user's own code.
  const keys = new DataKeys(prisma, Keyring.parse(TEST_KEYS));
  for (const user of users.slice(0, 20)) {
    const [mail] = mailTo(user.email);
    const text = bodyOf(mail!);
    for (const part of [input.title, 'What happened: A misconfigured storage bucket', 'Which of your data: names, email addresses, run inputs', 'What we did:', 'What you can do:', config.DPO_CONTACT, input.id]) {
      expect(text).toContain(part);
    }
    const recipient = await prisma.incidentRecipient.findUniqueOrThrow({ where: { incidentId_userId: { incidentId: input.id, userId: user.id } } });
    const code = await keys.open(ENCRYPTED_COLUMNS.incidentOfferCode, input.id, user.id, recipient.offerCodeCiphertext!);
    expect(code).toMatch(/^CM-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(text).toContain(code);
  }
  // Codes are per user.
  const codes = await prisma.incidentRecipient.findMany({ where: { incidentId: input.id }, select: { offerCodeCiphertext: true } });
  expect(new Set(codes.map((c) => Buffer.from(c.offerCodeCiphertext!).toString('base64'))).size).toBe(1000);

  // The authority report: Art. 33(3) (a)-(d), ready for download.
  expect(after.authorityReport.status).toBe('prepared');
  const report = await incidents().authorityReport(input.id, await env.currentTimeMs());
  expect(report).toMatchObject({
    phase: 'initial',
    controller: { contactPoint: config.DPO_CONTACT },
    nature: { breachType: 'confidentiality', title: input.title, description: input.description },
    dataCategories: ['names', 'email addresses', 'run inputs'],
    peopleAffected: { approximate: 1000 },
    recordsAffected: { approximate: 1000 },
    usersNotified: { notified: 1000, pending: 0 },
    creditMonitoring: { offered: true, issued: 1000 },
  });
  expect(report.likelyConsequences).toMatch(/\S/);
  expect(report.measuresTaken).toMatch(/\S/);
  expect(report).not.toHaveProperty('delayReason');
  // No address, no name in the report or the workflow's history (as stored).
  const history = JSON.stringify(await handle.fetchHistory());
  for (const user of users.slice(0, 50)) {
    expect(JSON.stringify(report)).not.toContain(user.email);
    expect(history).not.toContain(user.email);
  }

  await handle.signal(confirmAuthorityReportSignal, { reference: 'DPA-2026-0042', phase: 'initial' });
  await env.sleep('72h');
  const done = await status(input.id);
  expect(done.authorityReport).toMatchObject({ status: 'submitted', reference: 'DPA-2026-0042' });
  expect(done.deadline).toEqual({ notify_users: { met: true }, authority_report: { met: true }, credit_monitoring: { met: true }, corrections: { met: true } });
  // Everything was done before the first escalation point: nobody was escalated to.
  expect(done.escalations).toEqual([]);
  expect(notices(users)).toEqual(Array(1000).fill(1)); // still once each

  await handle.signal(closeIncidentSignal);
  expect((await handle.result()).status).toBe('closed');
  expect(await prisma.incident.findUniqueOrThrow({ where: { id: input.id } })).toMatchObject({ affectedCount: 1000, notifiedCount: 1000, offersIssued: 1000, closedAt: expect.any(Date) });
}, 300_000);

it('no credit-monitoring offer when no personal data was exposed', async () => {
  const users = await bulkUsers(prisma, 5, `nooffer${randomUUID().slice(0, 6)}`);
  const input = incidentInput(await serverNow(), { userIds: users.map((u) => u.id) }, { breachType: 'availability', personalDataExposed: false, dataCategories: ['tool run history'] });
  await start(input);
  await env.sleep('1h');
  const after = await status(input.id);
  expect(after.affected.notified).toBe(5);
  expect(after.offers.issued).toBe(0);
  for (const user of users) {
    const [mail] = mailTo(user.email);
    expect(bodyOf(mail!)).not.toMatch(/credit monitoring|CM-/);
  }
  expect(await prisma.incidentRecipient.count({ where: { incidentId: input.id, NOT: { offerCodeCiphertext: null } } })).toBe(0);
}, 120_000);

it('mailboxes refusing for 30 hours are retried until they take the notice, all before the deadline, each once', async () => {
  const users = await bulkUsers(prisma, 100, `flaky${randomUUID().slice(0, 6)}`);
  const flaky = new Set(users.slice(0, 20).map((u) => u.email));
  smtp.refuseWhile((address) => flaky.has(address));
  const input = incidentInput(await serverNow(), { userIds: users.map((u) => u.id) });
  const handle = await start(input);
  try {
    await env.sleep('30h');
    const during = await status(input.id);
    expect(during.affected).toMatchObject({ total: 100, notified: 80, failed: 20, pending: 0 });
    const tries = await prisma.incidentRecipient.findMany({ where: { incidentId: input.id, notifiedAt: null } });
    expect(tries).toHaveLength(20);
    expect(Math.min(...tries.map((t) => t.attempts))).toBeGreaterThan(5); // retried pass after pass
    expect(tries.every((t) => t.lastError === 'smtp_451')).toBe(true);
  } finally {
    smtp.refuseWhile(undefined);
  }
  await env.sleep('2h'); // the back-off is at most an hour
  const after = await status(input.id);
  expect(after.affected).toMatchObject({ total: 100, notified: 100, failed: 0, pending: 0 });
  expect(notices(users)).toEqual(Array(100).fill(1));
  await handle.signal(confirmAuthorityReportSignal, { reference: 'DPA-FLAKY', phase: 'initial' });
  await env.sleep('41h'); // past the deadline
  expect((await status(input.id)).deadline).toMatchObject({ notify_users: { met: true }, authority_report: { met: true } });
}, 300_000);

it('when nothing is done, escalations reach responders and the DPO at 24 h, 48 h and 66 h, the deadline records each miss with its reason, and a week later the saga records what it could not do', async () => {
  const [responder] = await bulkUsers(prisma, 1, `responder${randomUUID().slice(0, 6)}`, ['user', 'incident_responder']);
  const [dpo] = await bulkUsers(prisma, 1, `dpo${randomUUID().slice(0, 6)}`, ['user', 'dpo']);
  const users = await bulkUsers(prisma, 10, `stuck${randomUUID().slice(0, 6)}`);
  const stuck = new Set(users.map((u) => u.email));
  smtp.refuseWhile((address) => stuck.has(address)); // no notice gets through
  const discoveredAt = await serverNow();
  const input = incidentInput(discoveredAt, { userIds: users.map((u) => u.id) });
  const handle = await start(input);
  try {
    await env.sleep('73h');
  } catch (err) {
    smtp.refuseWhile(undefined);
    throw err;
  }
  const after = await status(input.id);
  expect(after.escalations.map((e) => e.label)).toEqual(['24h', '48h', '66h']);
  after.escalations.forEach((escalation, i) => {
    const due = discoveredAt.getTime() + [24, 48, 66][i]! * HOUR;
    expect(Date.parse(escalation.at)).toBeGreaterThanOrEqual(due);
    expect(Date.parse(escalation.at)).toBeLessThan(due + 60_000);
    expect(escalation.to).toEqual(['incident_responder', 'dpo']);
    expect(escalation.pending).toEqual(expect.arrayContaining(['notify_users', 'authority_report']));
  });
  for (const staff of [responder!, dpo!]) {
    const mails = mailTo(staff.email, /after discovery/);
    expect(mails.filter((m) => m.raw.includes(input.id)).map((m) => m.header('subject'))).toEqual([
      'Incident 24h after discovery: steps not done',
      'Incident 48h after discovery: steps not done',
      'Incident 66h after discovery: steps not done',
    ]);
  }
  expect(after.deadline).toEqual({
    notify_users: { met: false, reason: expect.stringContaining('10 of 10 affected users not notified') },
    authority_report: { met: false, reason: expect.stringContaining('not confirmed') },
    credit_monitoring: { met: true },
    corrections: { met: true },
  });
  const report = await incidents().authorityReport(input.id, await env.currentTimeMs());
  expect(report.delayReason).toMatch(/Art\. 33\(1\)/);
  // Three days of hourly retries: the history was cut by continue-as-new, the escalations came once each.
  expect(await runsOf(input.id)).toBeGreaterThan(1);

  // The mailboxes never take it: a week past the deadline the saga gives up, records what it could not do,
  // and the incident can be closed once the report is confirmed (the notices it sent stay sent).
  try {
    await env.sleep('7d');
  } finally {
    smtp.refuseWhile(undefined);
  }
  const gaveUp = await status(input.id);
  expect(gaveUp.failures).toEqual([{ at: expect.any(String), step: 'notify_users', reason: expect.stringContaining('10 affected users could not be notified') }]);
  await handle.signal(confirmAuthorityReportSignal, { reference: 'DPA-LATE', phase: 'initial' });
  await handle.signal(closeIncidentSignal);
  await env.sleep('1h');
  expect((await handle.result()).status).toBe('closed');
}, 300_000);

it('retracted after 300 notices: 300 corrections, no further notice, every offer closed', async () => {
  const users = await bulkUsers(prisma, 400, `retract${randomUUID().slice(0, 6)}`);
  const later = new Set(users.slice(300).map((u) => u.email));
  smtp.refuseWhile((address) => later.has(address));
  const input = incidentInput(await serverNow(), { userIds: users.map((u) => u.id) });
  const handle = await start(input);
  await env.sleep('1h');
  expect((await status(input.id)).affected).toMatchObject({ notified: 300, failed: 100 });

  await handle.signal(retractSignal, { reason: 'the bucket was never public: the access log entries were our own monitoring' });
  smtp.refuseWhile(undefined); // the 100 could now be reached: they must get nothing
  await env.sleep('3h');
  const after = await status(input.id);
  expect(after).toMatchObject({ status: 'retracted', retracted: true, affected: { total: 400, notified: 300, corrected: 300, pending: 0, failed: 0 } });
  expect(after.offers).toEqual({ issued: 400, closed: 400 });
  const corrections = users.map((u) => mailTo(u.email, /^Correction/).length);
  expect(corrections.slice(0, 300)).toEqual(Array(300).fill(1));
  expect(corrections.slice(300)).toEqual(Array(100).fill(0));
  expect(notices(users.slice(0, 300))).toEqual(Array(300).fill(1));
  expect(notices(users.slice(300))).toEqual(Array(100).fill(0));
  expect(bodyOf(mailTo(users[0]!.email, /^Correction/)[0]!)).toContain('the bucket was never public');
  // Queued notices to the 100 were discarded, never sent.
  const queued = await prisma.mailOutbox.findMany({ where: { userId: { in: users.slice(300).map((u) => u.id) }, purpose: 'breach_notice' } });
  expect(queued.every((row) => row.sentAt === null)).toBe(true);

  await handle.signal(closeIncidentSignal);
  expect((await handle.result()).status).toBe('closed');
}, 300_000);

it('a start input the schema refuses fails the workflow at once with a readable error and sends nothing', async () => {
  const sent = smtp.messages.length;
  const now = await serverNow();
  const bad: [string, unknown, RegExp][] = [
    ['missing discoveredAt', { ...incidentInput(now, { all: true }), discoveredAt: undefined }, /discoveredAt: Required/],
    ['unknown selector', { ...incidentInput(now, { all: true }), affected: { everyoneNamed: 'Bob' } }, /affected/],
    ['discovery in the future', incidentInput(new Date(now.getTime() + 5 * HOUR), { all: true }), /discoveredAt: .* is in the future/],
  ];
  for (const [what, input, message] of bad) {
    const handle = await temporal.workflow.start(incidentWorkflow, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: `incident-bad-${randomUUID()}`, args: [input] });
    const failure = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect({ what, failed: failure instanceof WorkflowFailedError }).toEqual({ what, failed: true });
    const cause = (failure as WorkflowFailedError).cause as { type?: string; message?: string };
    expect({ what, type: cause.type }).toEqual({ what, type: 'InvalidIncidentInput' });
    expect(cause.message).toMatch(message);
  }
  expect(await prisma.incident.count({ where: { title: 'Unauthorised access to a support export', scope: { path: ['kind'], equals: 'all' } } })).toBe(0);
  expect(smtp.messages.length).toBe(sent);
}, 120_000);

it('the status query shows the same status as the register', async () => {
  const users = await bulkUsers(prisma, 3, `query${randomUUID().slice(0, 6)}`);
  const input = incidentInput(await serverNow(), { userIds: users.map((u) => u.id) });
  const handle = await start(input);
  await env.sleep('1h');
  const queried = await handle.query(incidentStatusQuery);
  const stored = await status(input.id);
  expect(queried).toMatchObject({ id: input.id, workflowId: incidentWorkflowId(input.id), notifyBy: stored.notifyBy, affected: stored.affected, status: 'waiting' });
  const description = await handle.describe();
  expect(JSON.stringify(description.searchAttributes)).toContain(input.id);
});
