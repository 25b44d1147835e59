// The security-data cleanup (SPEC's retention table: "sessions until expiry,
// revoked tokens 30 days, security events 12 months, rate-limit keys until their
// window ends"; log-in contexts 12 months after last seen; mechanism: a cleanup schedule), with the default durations, on
// a real Temporal server and a real Postgres. It deletes across whole tables and
// its schedule id is the system's own, so this file has a database and a Temporal
// namespace of its own: no other test file's rows or schedules are touched.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { PrismaClient } from '@prisma/client';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { SECURITY_DATA_CLEANUP_SCHEDULE_ID } from '../../src/security-data/contract';
import { deleteExpiredSecurityData } from '../../src/security-data/service';
import { signedUpClient, startTestApi } from '../helpers/api';
import { closeTestPrisma, isolatedDatabase, testConfig, uniqueEmail } from '../helpers/env';
import { killProcess, startWorkerProcess } from '../helpers/stack';
import { waitFor } from '../helpers/wait';
import { grantRole } from '../helpers/accounts';

const DAY = 86_400_000;
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let config: ReturnType<typeof testConfig>;
let client: ReturnType<typeof createTemporalClient>;

beforeAll(async () => {
  db = await isolatedDatabase('security_data_cleanup');
  const namespace = `security-data-${randomUUID()}`;
  const address = testConfig().TEMPORAL_ADDRESS;
  const connection = await Connection.connect({ address });
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1d') });
  await connection.close();
  config = testConfig({ DATABASE_URL: db.url, TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: `security-data-${randomUUID()}` });
  client = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
}, 60_000);

afterAll(async () => {
  await client?.schedule.getHandle(SECURITY_DATA_CLEANUP_SCHEDULE_ID).delete().catch(() => undefined);
  await client?.connection.close();
  await db?.close();
  await closeTestPrisma();
});

const ago = (ms: number) => new Date(Date.now() - ms);
const monthsAgo = (months: number) => {
  const at = new Date();
  at.setUTCMonth(at.getUTCMonth() - months);
  return at;
};

/** Rows on both sides of each retention; returns the ids of those that must stay. */
async function seed(prisma: PrismaClient) {
  const user = await prisma.user.create({ data: { name: 'Security data', email: uniqueEmail('security-data'), passwordHash: 'not-a-login' } });
  const session = (expiresAt: Date, revokedAt: Date | null = null) => ({ id: randomUUID(), userId: user.id, tokenHash: randomUUID(), expiresAt, revokedAt });
  const liveSession = session(new Date(Date.now() + 30 * DAY));
  await prisma.session.createMany({
    data: [
      liveSession,
      session(ago(60_000)), // expired a minute ago
      session(new Date(Date.now() + 29 * DAY), ago(3_600_000)), // logged out an hour ago, not yet expired
    ],
  });
  const token = (revokedAt: Date | null, createdAt = ago(400 * DAY)) => ({ id: randomUUID(), userId: user.id, name: 't', tokenHash: randomUUID(), createdAt, revokedAt });
  const revoked29DaysAgo = token(ago(29 * DAY));
  const active = token(null);
  await prisma.apiToken.createMany({ data: [revoked29DaysAgo, active, token(ago(31 * DAY))] });
  const event = (createdAt: Date) => ({ id: randomUUID(), userId: user.id, type: 'new_login', createdAt });
  const elevenMonthsOld = event(monthsAgo(11));
  const recent = event(ago(60_000));
  await prisma.securityEvent.createMany({ data: [elevenMonthsOld, recent, event(monthsAgo(13))] });
  const liveWindow = { key: `live-${randomUUID()}`, hits: 3, resetAt: new Date(Date.now() + 10 * 60_000) };
  await prisma.rateLimitHit.createMany({ data: [liveWindow, { key: `ended-${randomUUID()}`, hits: 20, resetAt: ago(1000) }] });
  const context = (lastSeenAt: Date) => ({ userId: user.id, contextHmac: randomUUID(), firstSeenAt: monthsAgo(20), lastSeenAt });
  const seenElevenMonthsAgo = context(monthsAgo(11));
  await prisma.loginContext.createMany({ data: [seenElevenMonthsAgo, context(monthsAgo(13))] });
  const codeUser = await prisma.user.create({ data: { name: 'Code', email: uniqueEmail('security-data'), passwordHash: 'not-a-login' } });
  const code = (userId: string, expiresAt: Date) => ({ userId, id: randomUUID(), codeHmac: randomUUID(), expiresAt });
  const liveCode = code(user.id, new Date(Date.now() + 5 * 60_000));
  await prisma.reauthCode.createMany({ data: [liveCode, code(codeUser.id, ago(1000))] });
  return {
    sessions: [liveSession.id],
    apiTokens: [revoked29DaysAgo.id, active.id].sort(),
    securityEvents: [elevenMonthsOld.id, recent.id].sort(),
    rateLimitKeys: [liveWindow.key],
    loginContexts: [seenElevenMonthsAgo.contextHmac],
    reauthCodes: [liveCode.id],
  };
}

async function remaining(prisma: PrismaClient) {
  const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
  return {
    sessions: ids(await prisma.session.findMany({ select: { id: true } })),
    apiTokens: ids(await prisma.apiToken.findMany({ select: { id: true } })),
    securityEvents: ids(await prisma.securityEvent.findMany({ select: { id: true } })),
    rateLimitKeys: (await prisma.rateLimitHit.findMany({ select: { key: true } })).map((r) => r.key).sort(),
    loginContexts: (await prisma.loginContext.findMany({ select: { contextHmac: true } })).map((r) => r.contextHmac).sort(),
    reauthCodes: ids(await prisma.reauthCode.findMany({ select: { id: true } })),
  };
}

it('the worker creates the hourly schedule at start; a run deletes what is past its retention, keeps the rest, and is recorded and exported', async () => {
  const kept = await seed(db.prisma);
  let worker: ChildProcess | undefined;
  try {
    // The real worker entry point, as deployed: it ensures the schedules before it says it started.
    worker = await startWorkerProcess(config, { TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE, WORKER_ENSURE_SCHEDULES: 'true' });
    const handle = client.schedule.getHandle(SECURITY_DATA_CLEANUP_SCHEDULE_ID);
    const description = await handle.describe();
    expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);
    expect(description.action).toMatchObject({ type: 'startWorkflow', workflowType: 'cleanUpSecurityDataWorkflow', taskQueue: config.TEMPORAL_TASK_QUEUE });
    expect(await db.prisma.securityDataCleanup.count()).toBe(0);

    await handle.trigger();
    const run = await waitFor(() => db.prisma.securityDataCleanup.findFirst(), { what: 'the triggered cleanup to record its run', timeoutMs: 30_000 });
    expect(run).toMatchObject({ sessionsDeleted: 2, apiTokensDeleted: 1, securityEventsDeleted: 1, rateLimitKeysDeleted: 1, loginContextsDeleted: 1, reauthCodesDeleted: 1 });
    expect(await remaining(db.prisma)).toEqual(kept);
  } finally {
    if (worker) await killProcess(worker); // no worker left to run the schedule again while the next test counts
  }

  // What operators see: the last run's counts by kind, and its time.
  const api = await startTestApi({ DATABASE_URL: db.url, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE });
  try {
    const operator = await signedUpClient(api.baseUrl, 'Operator');
    await grantRole(db.prisma, operator.email, 'admin');
    const metrics = (await operator.client.get('/metrics')).text;
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="sessions"} 2');
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="api_tokens"} 1');
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="security_events"} 1');
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="rate_limit_keys"} 1');
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="login_contexts"} 1');
    expect(metrics).toContain('sotally_security_data_cleanup_last_deleted{kind="reauth_codes"} 1');
    const ranAt = (await db.prisma.securityDataCleanup.findFirstOrThrow()).ranAt.getTime() / 1000;
    expect(metrics).toContain(`sotally_security_data_cleanup_last_run_timestamp_seconds ${ranAt}`);
  } finally {
    await api.close();
  }
}, 120_000);

it('deletes a large backlog in bounded batches', async () => {
  const user = await db.prisma.user.create({ data: { name: 'Backlog', email: uniqueEmail('backlog'), passwordHash: 'not-a-login' } });
  await db.prisma.rateLimitHit.createMany({ data: Array.from({ length: 2500 }, (_, i) => ({ key: `backlog-${i}-${randomUUID()}`, hits: 1, resetAt: ago(60_000) })) });
  await db.prisma.session.createMany({ data: Array.from({ length: 1200 }, () => ({ userId: user.id, tokenHash: randomUUID(), expiresAt: ago(60_000) })) });
  const batches: Record<string, number[]> = {};
  const deleted = await deleteExpiredSecurityData(
    db.prisma,
    { revokedApiTokenRetentionMs: config.REVOKED_API_TOKEN_RETENTION, securityEventRetentionMs: config.SECURITY_EVENT_RETENTION, loginContextRetentionMs: config.LOGIN_CONTEXT_RETENTION },
    { batchSize: 1000, onBatch: (kind, count) => (batches[kind] ??= []).push(count) },
  );
  expect(deleted).toEqual({ sessions: 1200, apiTokens: 0, securityEvents: 0, rateLimitKeys: 2500, loginContexts: 0, reauthCodes: 0 });
  expect(batches).toEqual({ sessions: [1000, 200], apiTokens: [0], securityEvents: [0], rateLimitKeys: [1000, 1000, 500], loginContexts: [0], reauthCodes: [0] });
  expect(await db.prisma.rateLimitHit.count({ where: { key: { startsWith: 'backlog-' } } })).toBe(0);
  expect(await db.prisma.session.count({ where: { userId: user.id } })).toBe(0);
});
