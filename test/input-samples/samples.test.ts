// Input samples for creators (SPEC feature 8, policy section 2), through real runs
// on the real API and worker: the tool's creator reads users' inputs with their
// personal data redacted, the day and nothing finer, never the user, the run or
// the output; users who objected to creator sharing or restricted processing are
// left out from the moment they do so; samples go with the run's 90-day deletion;
// nobody but the tool's creator reads them.
import { randomUUID } from 'node:crypto';
import { createLedger } from '../../src/credits/ledger';
import { sweepExpiredExecutions } from '../../src/retention/service';
import { fundAccount } from '../helpers/accounts';
import { HttpClient, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { createTool } from '../helpers/tools';

const prisma = testPrisma();
const stack = useExecutionStack({ TEMPORAL_TASK_QUEUE: `samples-${randomUUID()}` });

async function creatorWithTool() {
  const creator = await signedUpClient(stack.api.baseUrl, 'Creator');
  const tool = await createTool(creator.client, {
    inputSchema: { type: 'object', properties: { who: { type: 'string', minLength: 1, maxLength: 500 }, language: { type: 'string', enum: ['en', 'fr'] } }, required: ['who'] },
  });
  return { client: creator.client, toolId: tool.id };
}

const DAY = 86_400_000;
/** Noon (UTC) `days` days ago: samples show closed days only. */
const daysAgo = (days: number, minutes = 0) => new Date(Math.floor(Date.now() / DAY) * DAY - days * DAY + 12 * 3_600_000 + minutes * 60_000);

/** A user who ran the tool once with `who`, moved to noon yesterday (or `at`); returns the user and the finished run (output included). */
async function userRun(toolId: string, name: string, who: (email: string) => string, at = daysAgo(1)) {
  const user = await signedUpClient(stack.api.baseUrl, name);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.user.id, 100);
  const run = await user.client.post(`/v1/tools/${toolId}/executions`, { inputs: { who: who(user.email), language: 'en' }, waitSeconds: 20 });
  expect(run.body.status).toBe('succeeded');
  await prisma.execution.update({ where: { id: run.body.id }, data: { createdAt: at } });
  return { ...user, run: { ...(run.body as { id: string; output: string; createdAt: string }), createdAt: at.toISOString() } };
}

const samplesOf = async (client: HttpClient, toolId: string) => {
  const res = await client.get(`/v1/creator/tools/${toolId}/input-samples`);
  expect(res.status).toBe(200);
  return res as { body: { items: { day: string; inputs: Record<string, unknown> }[] }; text: string };
};

it('the creator reads redacted inputs by day, and nothing that names the user, the run, its time or its output', async () => {
  const creator = await creatorWithTool();
  const grace = await userRun(creator.toolId, 'Grace Hopper', (email) => `I am Grace Hopper (${email}), call me on +44 20 7946 0958 or pay DE89 3704 0044 0532 0130 00`);

  await userRun(creator.toolId, 'Today User', () => 'not before the day is over', new Date());
  const res = await samplesOf(creator.client, creator.toolId);
  expect(res.body.items).toEqual([
    { day: grace.run.createdAt.slice(0, 10), inputs: { who: 'I am [name] ([email]), call me on [phone] or pay [iban]', language: 'en' } },
  ]);
  for (const secret of [grace.user.id, grace.email, grace.run.id, grace.run.output, grace.run.createdAt, 'Grace', 'Hopper', '7946']) {
    expect(res.text).not.toContain(secret);
  }
}, 60_000);

it('users who object to creator sharing or restrict processing are left out from then on, past runs included', async () => {
  const creator = await creatorWithTool();
  const kept = await userRun(creator.toolId, 'Kept User', () => 'keep me: sample one');
  const objector = await userRun(creator.toolId, 'Objecting User', () => 'hide me: I object');
  const restricted = await userRun(creator.toolId, 'Restricting User', () => 'hide me: I restrict');
  expect((await samplesOf(creator.client, creator.toolId)).body.items).toHaveLength(3);

  expect((await objector.client.put('/v1/privacy/objections', { creatorSharing: true })).status).toBe(200);
  expect((await restricted.client.put('/v1/privacy/restriction', { restricted: true })).status).toBe(200);
  const after = await samplesOf(creator.client, creator.toolId);
  expect(after.body.items.map((s) => s.inputs.who)).toEqual(['keep me: sample one']);
  expect(after.text).not.toContain('hide me');

  // Objecting to analytics only does not stop sharing with creators.
  expect((await kept.client.put('/v1/privacy/objections', { analytics: true })).status).toBe(200);
  expect((await samplesOf(creator.client, creator.toolId)).body.items).toHaveLength(1);
}, 90_000);

it('a day is shown whole or cut by random id, never by time, so no limit orders runs within a day', async () => {
  const creator = await creatorWithTool();
  const runs: Awaited<ReturnType<typeof userRun>>[] = [];
  for (let i = 0; i < 5; i += 1) runs.push(await userRun(creator.toolId, `Quinn Xavier${i}`, () => `same day ${i}`, daysAgo(2, i * 60)));
  const newer = await userRun(creator.toolId, 'Yara Voss', () => 'the newer day', daysAgo(1));
  const byId = [...runs].sort((a, b) => a.run.id.localeCompare(b.run.id)).map((r) => `same day ${runs.indexOf(r)}`);

  for (const limit of [2, 3, 4, 6]) {
    const items = (await creator.client.get(`/v1/creator/tools/${creator.toolId}/input-samples?limit=${limit}`)).body.items as { day: string; inputs: { who: string } }[];
    expect(items.map((i) => i.inputs.who)).toEqual(['the newer day', ...byId.slice(0, limit - 1)]);
    expect(items.map((i) => i.day)).toEqual([newer.run.createdAt.slice(0, 10), ...Array(limit - 1).fill(runs[0]!.run.createdAt.slice(0, 10))]);
  }
}, 90_000);

it("a sample disappears with its run's 90-day deletion", async () => {
  const creator = await creatorWithTool();
  const user = await userRun(creator.toolId, 'Short Lived', () => 'gone after ninety days');
  expect((await samplesOf(creator.client, creator.toolId)).body.items).toHaveLength(1);

  // Past its expiry it is no longer shown, even before the deletion runs; then the deletion removes it.
  await prisma.execution.update({ where: { id: user.run.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  expect((await samplesOf(creator.client, creator.toolId)).body.items).toEqual([]);
  await sweepExpiredExecutions(prisma);
  expect(await prisma.execution.count({ where: { id: user.run.id } })).toBe(0);
  expect((await samplesOf(creator.client, creator.toolId)).body.items).toEqual([]);
}, 60_000);

it("only the tool's creator reads its samples: another creator, a user, an unknown tool get 404; a bad limit 400", async () => {
  const a = await creatorWithTool();
  const b = await creatorWithTool();
  await userRun(a.toolId, 'Some User', () => 'for creator A only');
  const plain = await signedUpClient(stack.api.baseUrl, 'Not A Creator');
  const path = (toolId: string, query = '') => `/v1/creator/tools/${toolId}/input-samples${query}`;

  for (const [client, toolId] of [[b.client, a.toolId], [plain.client, a.toolId], [a.client, b.toolId], [a.client, randomUUID()]] as const) {
    const res = await client.get(path(toolId));
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 404, code: 'not_found' });
    expect(res.text).not.toContain('creator A only');
  }
  for (const query of ['?limit=0', '?limit=101', '?limit=x', '?since=yesterday']) {
    expect((await a.client.get(path(a.toolId, query))).status).toBe(400);
  }
  expect((await a.client.get(path('not-a-uuid'))).status).toBe(400);
  expect((await a.client.get(path(a.toolId, '?limit=1'))).body.items).toHaveLength(1);
  expect((await new HttpClient(stack.api.baseUrl).get(path(a.toolId))).status).toBe(401);
}, 90_000);
