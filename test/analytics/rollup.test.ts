// Usage analytics for creators (SPEC feature 8), against a database of the
// file's own and the real HTTP API: runs roll up into anonymous hourly and daily
// buckets once (a re-run changes nothing) and after an outage the rollup catches
// up; a bucket of 4 users is suppressed and one of 5 shown; no two overlapping
// periods, and no day against its hours, reveal one user's runs; users who
// restricted processing or objected to analytics are not counted; the aggregates
// survive the runs' deletion and hold no user id; only the tool's creator reads them.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { HttpClient, signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { isolatedDatabase } from '../helpers/env';
import { bulkUsers } from '../helpers/incidents';
import { createTool } from '../helpers/tools';
import { createRollup } from '../../src/analytics/rollup';
import { eraseRegisteredData } from '../../src/erasure/engine';
import { grantRole } from '../helpers/accounts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;
let api: TestApi;

beforeAll(async () => {
  db = await isolatedDatabase('analytics_rollup');
  prisma = db.prisma;
  api = await startTestApi({ DATABASE_URL: db.url });
}, 60_000);

afterAll(async () => {
  await api?.close();
  await db?.close();
});

/** A fixed day two days ago (UTC midnight), so its hours are all closed. */
const day0 = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY;
const at = (hour: number, minute = 10) => new Date(day0 + hour * HOUR + minute * 60_000);

async function creatorWithTool() {
  const creator = await signedUpClient(api.baseUrl, 'Creator');
  const tool = await createTool(creator.client, {});
  return { client: creator.client, userId: creator.user.id as string, toolId: tool.id as string };
}

/** One finished run per (user, time), succeeded unless `failed` names an error code. */
async function runs(toolId: string, entries: { userId: string; at: Date; failed?: string; latencyMs?: number; credits?: number }[]) {
  await prisma.execution.createMany({
    data: entries.map((e) => ({
      id: randomUUID(),
      userId: e.userId,
      toolId,
      status: e.failed ? ('failed' as const) : ('succeeded' as const),
      errorCode: e.failed ?? null,
      reservedCredits: 10,
      costCredits: e.failed ? 0 : (e.credits ?? 3),
      model: 'gpt-4o-mini',
      createdAt: e.at,
      startedAt: e.at,
      finishedAt: new Date(e.at.getTime() + (e.latencyMs ?? 1000)),
      expiresAt: new Date(e.at.getTime() + 90 * DAY),
    })),
  });
}

const rollup = () => createRollup(prisma, { minGroup: 5, settleMs: 15 * 60_000, retentionMs: 90 * DAY });

async function rollUpAll() {
  const r = rollup();
  for (;;) if (!(await r.rollUp(Date.now())).more) return;
}

async function analytics(client: HttpClient, toolId: string, from: Date, to: Date, granularity: 'hour' | 'day' = 'hour') {
  const res = await client.get(`/v1/creator/tools/${toolId}/analytics?from=${from.toISOString()}&to=${to.toISOString()}&granularity=${granularity}`);
  expect(res.status).toBe(200);
  return res.body.items as Record<string, unknown>[];
}

it('a bucket of 4 users is suppressed, one of 5 is shown; overlapping periods and a day against its hours never single out a user', async () => {
  const { client, toolId } = await creatorWithTool();
  const users = await bulkUsers(prisma, 10, `an${randomUUID().slice(0, 6)}`);
  // Hour 3: five users (one run fails). Hour 4: four users. Hour 5: one user alone, X.
  await runs(toolId, [
    ...users.slice(0, 5).map((u, i) => ({ userId: u.id, at: at(3, i), latencyMs: 1000 + 100 * i, ...(i === 4 ? { failed: 'model_timeout' } : {}) })),
    ...users.slice(5, 9).map((u) => ({ userId: u.id, at: at(4) })),
    { userId: users[9]!.id, at: at(5), latencyMs: 9999, credits: 42 },
  ]);
  await rollUpAll();

  const hours = await analytics(client, toolId, at(0, 0), at(24, 0));
  expect(hours).toEqual([
    { bucketStart: at(3, 0).toISOString(), suppressed: false, runs: 5, succeeded: 4, failed: 1, p50LatencyMs: 1200, p95LatencyMs: 1380, creditsEarned: 12 },
    { bucketStart: at(4, 0).toISOString(), suppressed: true },
    { bucketStart: at(5, 0).toISOString(), suppressed: true },
  ]);
  // Two periods that differ only by X's hour give the same numbers: nothing to subtract.
  const without = await analytics(client, toolId, at(3, 0), at(5, 0));
  const withX = await analytics(client, toolId, at(3, 0), at(6, 0));
  const shown = (items: Record<string, unknown>[]) => items.filter((i) => i.suppressed === false);
  expect(shown(withX)).toEqual(shown(without));
  expect(JSON.stringify(withX)).not.toMatch(/9999|42/);
  // The day counts only its shown hours: the day minus hour 3 is nothing, not the suppressed hours.
  const [dayBucket] = await analytics(client, toolId, new Date(day0), new Date(day0 + DAY), 'day');
  expect(dayBucket).toEqual({ bucketStart: new Date(day0).toISOString(), suppressed: false, runs: 5, succeeded: 4, failed: 1, p50LatencyMs: 1200, p95LatencyMs: 1380, creditsEarned: 12 });
  // Stored: numbers only.
  const stored = JSON.stringify(await prisma.analyticsBucket.findMany({ where: { toolId } }));
  for (const u of users) expect(stored).not.toContain(u.id);
  expect(stored).toContain('model_timeout');
});

it('users who restricted processing or objected to analytics are not counted', async () => {
  const { client, toolId } = await creatorWithTool();
  const users = await bulkUsers(prisma, 7, `rs${randomUUID().slice(0, 6)}`);
  await prisma.user.update({ where: { id: users[5]!.id }, data: { restricted: true } });
  await prisma.user.update({ where: { id: users[6]!.id }, data: { objectsToAnalytics: true } });
  // A later hour than the first test's, rolled up now for the first time.
  await prisma.analyticsWatermark.update({ where: { kind: 'usage' }, data: { upTo: at(6, 0) } });
  await runs(toolId, users.map((u) => ({ userId: u.id, at: at(7) })));
  await rollUpAll();
  const [bucket] = await analytics(client, toolId, at(7, 0), at(8, 0));
  expect(bucket).toMatchObject({ suppressed: false, runs: 5 });
  expect((await prisma.analyticsBucket.findFirstOrThrow({ where: { toolId, granularity: 'hour' } })).distinctUsers).toBe(5);
});

it('each bucket is rolled up once: a re-run, the runs deleted at 90 days or by erasure change nothing; after an outage it catches up', async () => {
  const { client, toolId } = await creatorWithTool();
  const users = await bulkUsers(prisma, 5, `once${randomUUID().slice(0, 6)}`);
  await prisma.analyticsWatermark.update({ where: { kind: 'usage' }, data: { upTo: at(-48, 0) } }); // an outage of three days
  await runs(toolId, users.map((u) => ({ userId: u.id, at: at(-30) })));
  await runs(toolId, users.map((u) => ({ userId: u.id, at: at(10) })));
  const r = rollup();
  let calls = 0;
  for (let more = true; more; calls += 1) more = (await r.rollUp(Date.now())).more;
  expect(calls).toBeGreaterThan(1); // a day of hours per call
  const before = await prisma.analyticsBucket.findMany({ where: { toolId }, orderBy: [{ granularity: 'asc' }, { bucketStart: 'asc' }] });
  expect(before.map((b) => [b.granularity, b.bucketStart.getTime(), b.runs])).toEqual([
    ['day', day0 - 2 * DAY, 5],
    ['day', day0, 5],
    ['hour', at(-30, 0).getTime(), 5],
    ['hour', at(10, 0).getTime(), 5],
  ]);

  // Some runs go (retention, or their users' erasure): the aggregates stay as they were, even re-run from the start.
  await prisma.execution.deleteMany({ where: { toolId, userId: { in: users.slice(0, 2).map((u) => u.id) } } });
  await prisma.analyticsWatermark.update({ where: { kind: 'usage' }, data: { upTo: at(-72, 0) } });
  await rollUpAll();
  const after = await prisma.analyticsBucket.findMany({ where: { toolId }, orderBy: [{ granularity: 'asc' }, { bucketStart: 'asc' }] });
  expect(after).toEqual(before);
  expect((await analytics(client, toolId, at(10, 0), at(11, 0)))[0]).toMatchObject({ suppressed: false, runs: 5 });
});

it("only the tool's creator reads its analytics; bad periods are refused", async () => {
  const a = await creatorWithTool();
  const b = await creatorWithTool();
  const plain = await signedUpClient(api.baseUrl, 'Not a creator');
  const path = (toolId: string) => `/v1/creator/tools/${toolId}/analytics`;
  expect((await a.client.get(path(b.toolId))).status).toBe(404);
  expect((await plain.client.get(path(a.toolId))).status).toBe(404);
  expect((await a.client.get(path(randomUUID()))).status).toBe(404);
  expect((await new HttpClient(api.baseUrl).get(path(a.toolId))).status).toBe(401);
  expect((await a.client.get(path(a.toolId))).status).toBe(200);
  for (const query of ['?granularity=week', '?from=yesterday', `?from=${new Date().toISOString()}&to=${new Date(Date.now() - HOUR).toISOString()}`, `?from=${new Date(Date.now() - 40 * DAY).toISOString()}&granularity=hour`, '?extra=1']) {
    const res = await a.client.get(path(a.toolId) + query);
    expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: 400, code: 'validation_failed' });
  }
});

it('operators read the platform per day (admin only): shown hours of every tool together, small days suppressed', async () => {
  const admin = await signedUpClient(api.baseUrl, 'Operator');
  await grantRole(prisma, admin.email, 'admin');
  const res = await admin.client.get(`/v1/admin/analytics?from=${new Date(day0).toISOString()}&to=${new Date(day0 + DAY).toISOString()}`);
  expect(res.status).toBe(200);
  // The day was rolled up by the first test: its one shown hour (hour 3: 5 runs, one model_timeout), not the
  // suppressed hours 4 and 5; runs the later tests wrote into that day after it was rolled up do not change it.
  expect(res.body.items).toEqual([
    {
      day: new Date(day0).toISOString(),
      suppressed: false,
      runs: 5,
      succeeded: 4,
      failed: 1,
      failureRate: 0.2,
      failuresByCode: { model_timeout: 1 },
      p50LatencyMs: expect.any(Number),
      p95LatencyMs: expect.any(Number),
      creditsEarned: 12,
    },
  ]);
  const plain = await signedUpClient(api.baseUrl, 'Not an operator');
  expect((await plain.client.get('/v1/admin/analytics')).status).toBe(403);
  expect((await admin.client.get('/v1/admin/analytics?from=not-a-date')).status).toBe(400);
});

it("erasing a counted user (the erasure engine, every registered table) leaves the aggregates as they were, naming no one", async () => {
  const { client, toolId } = await creatorWithTool();
  const users = await bulkUsers(prisma, 5, `erase${randomUUID().slice(0, 6)}`);
  await prisma.analyticsWatermark.update({ where: { kind: 'usage' }, data: { upTo: at(11, 0) } });
  await runs(toolId, users.map((u) => ({ userId: u.id, at: at(12) })));
  await rollUpAll();
  const before = await prisma.analyticsBucket.findMany({ where: { toolId } });
  expect(before.length).toBeGreaterThan(0);

  await prisma.$transaction((tx) => eraseRegisteredData(tx, users[0]!.id, randomUUID()));
  expect(await prisma.execution.count({ where: { userId: users[0]!.id } })).toBe(0);
  await prisma.analyticsWatermark.update({ where: { kind: 'usage' }, data: { upTo: at(11, 0) } });
  await rollUpAll();
  expect(await prisma.analyticsBucket.findMany({ where: { toolId } })).toEqual(before);
  expect(JSON.stringify(before)).not.toContain(users[0]!.id);
  expect((await analytics(client, toolId, at(12, 0), at(13, 0)))[0]).toMatchObject({ suppressed: false, runs: 5 });
});
