// Anonymous visitors' pages of the public tool list are remembered per API process for
// TOOL_LIST_CACHE_TTL (here an hour, so nothing below can pass by expiry), and a change is still
// seen at once: in the process that made it through the API, at its very next list; in every other
// process, and for changes made outside the API, as soon as Postgres's announcement arrives
// (milliseconds; the tests allow 2 s). Signed-in callers are never answered from memory, and
// nothing is remembered while announcements are lost. Two API processes share one database, as
// replicas do. (Other test files write tools in the same database at the same time: their
// announcements only make these processes forget more often.)
import { randomUUID } from 'node:crypto';
import { HttpClient, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { eventually } from '../helpers/wait';
import { createToolListCache } from '../../src/tools/list-cache';

const prisma = testPrisma();
const CACHED = { TOOL_LIST_CACHE_SIZE: '100', TOOL_LIST_CACHE_TTL: '1h' };
const a = useTestApi(CACHED);
const b = useTestApi(CACHED);

beforeAll(async () => {
  for (const api of [a, b]) await eventually(async () => api.deps.toolList!.listening, 'the cache listens', 10_000);
});

const TOOL = {
  name: 'Cached greeter',
  description: 'Greets someone',
  prompt: 'Say hello to {{who}}.',
  model: 'gpt-4o-mini',
  priceCredits: 200,
  inputSchema: { type: 'object', properties: { who: { type: 'string', maxLength: 100 } }, required: ['who'] },
};

/** A creator with one tool, and anonymous visitors of both processes. */
async function creatorWithTool() {
  const { client, user } = await signedUpClient(a.baseUrl);
  const created = await client.post('/v1/tools', TOOL);
  expect(created.status).toBe(201);
  const tool = (created.body as { tool: { id: string; name: string } }).tool;
  return { client, user, tool, visitorA: new HttpClient(a.baseUrl), visitorB: new HttpClient(b.baseUrl) };
}

/** The names an anonymous visitor sees in the creator's list. */
async function namesSeen(visitor: HttpClient, creatorId: string): Promise<string[]> {
  const res = await visitor.get(`/v1/tools?creatorId=${creatorId}`);
  expect(res.status).toBe(200);
  return (res.body as { items: { name: string }[] }).items.map((t) => t.name);
}

/** Changes a row the way a bug or a restore could, without the triggers: nothing is announced. */
async function silently(sql: string, ...values: unknown[]) {
  await prisma.$transaction([prisma.$executeRawUnsafe('SET LOCAL session_replication_role = replica'), prisma.$executeRawUnsafe(sql, ...values)]);
}

it('remembers a page: a change Postgres does not announce is not seen by visitors, so the memory is really used', async () => {
  const { user, tool, visitorA } = await creatorWithTool();
  // Another test file's write may make the process forget between the two reads: try again then,
  // from an empty memory.
  await eventually(async () => {
    a.deps.toolList!.forget();
    await silently('UPDATE tools SET name = $1 WHERE id = $2::uuid', 'Cached greeter', tool.id);
    if ((await namesSeen(visitorA, user.id))[0] !== 'Cached greeter') return false;
    await silently('UPDATE tools SET name = $1 WHERE id = $2::uuid', 'Renamed unannounced', tool.id);
    return (await namesSeen(visitorA, user.id))[0] === 'Cached greeter';
  }, 'a remembered page is answered');
});

it('a creator’s change through the API is forgotten by that process before it is answered, not only when Postgres announces it', async () => {
  const { client, tool } = await creatorWithTool();
  const forget = jest.spyOn(a.deps.toolList!, 'forget');
  try {
    expect((await client.post('/v1/tools', { ...TOOL, name: 'Another' })).status).toBe(201);
    expect((await client.patch(`/v1/tools/${tool.id}`, { name: 'Renamed' })).status).toBe(200);
    expect((await client.delete(`/v1/tools/${tool.id}`)).status).toBe(204);
    expect(forget).toHaveBeenCalledTimes(3);
  } finally {
    forget.mockRestore();
  }
});

it('a tool created, renamed and deleted through one process is seen by that process at its next list, and by the other at once', async () => {
  const { client, user, tool, visitorA, visitorB } = await creatorWithTool();
  expect(await namesSeen(visitorA, user.id)).toEqual(['Cached greeter']);
  expect(await namesSeen(visitorB, user.id)).toEqual(['Cached greeter']);

  expect((await client.patch(`/v1/tools/${tool.id}`, { name: 'Renamed' })).status).toBe(200);
  expect(await namesSeen(visitorA, user.id)).toEqual(['Renamed']);
  await eventually(async () => (await namesSeen(visitorB, user.id))[0] === 'Renamed', 'the other process shows the new name');

  expect((await client.post('/v1/tools', { ...TOOL, name: 'Second' })).status).toBe(201);
  expect(await namesSeen(visitorA, user.id)).toEqual(['Second', 'Renamed']);
  await eventually(async () => (await namesSeen(visitorB, user.id)).length === 2, 'the other process shows the new tool');

  expect((await client.delete(`/v1/tools/${tool.id}`)).status).toBe(204);
  expect(await namesSeen(visitorA, user.id)).toEqual(['Second']);
  await eventually(async () => (await namesSeen(visitorB, user.id)).length === 1, 'the other process drops the deleted tool');
});

it('a tool removed outside the API (an erasure in the worker, an operator) leaves every process’s list', async () => {
  const { user, visitorA, visitorB } = await creatorWithTool();
  for (const visitor of [visitorA, visitorB]) expect(await namesSeen(visitor, user.id)).toHaveLength(1);
  await prisma.tool.updateMany({ where: { creatorId: user.id }, data: { deletedAt: new Date(), promptCiphertext: null } });
  for (const visitor of [visitorA, visitorB]) await eventually(async () => (await namesSeen(visitor, user.id)).length === 0, 'the erased tool is gone');
});

it('signed-in callers are never answered from memory (their own tools show their prompts)', async () => {
  const { client, user, tool, visitorA } = await creatorWithTool();
  expect(await namesSeen(visitorA, user.id)).toEqual(['Cached greeter']);
  await silently('UPDATE tools SET name = $1 WHERE id = $2::uuid', 'Seen by the signed-in', tool.id);
  const own = await client.get(`/v1/tools?creatorId=${user.id}`);
  expect((own.body as { items: { name: string; prompt?: string }[] }).items).toEqual([expect.objectContaining({ name: 'Seen by the signed-in', prompt: TOOL.prompt })]);
  // And a visitor's remembered page never carries a prompt.
  for (const item of (await visitorA.get(`/v1/tools?creatorId=${user.id}`)).body.items as object[]) expect(item).not.toHaveProperty('prompt');
});

it('while announcements are lost nothing is remembered, and listening resumes by itself', async () => {
  const { user, tool, visitorB } = await creatorWithTool();
  const cache = b.deps.toolList!;
  await namesSeen(visitorB, user.id);
  await prisma.$queryRawUnsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN sotally_tools' AND datname = current_database()`);
  await eventually(async () => !cache.listening, 'the lost connection is noticed');
  expect(cache.size).toBe(0);
  // A change nobody announces is still seen: every list reads Postgres meanwhile, and keeps nothing.
  await silently('UPDATE tools SET name = $1 WHERE id = $2::uuid', 'Unannounced while deaf', tool.id);
  if (!cache.listening) {
    expect(await namesSeen(visitorB, user.id)).toEqual(['Unannounced while deaf']);
    if (!cache.listening) expect(cache.size).toBe(0);
  }
  await eventually(async () => cache.listening, 'listening again', 10_000);
});

describe('the memory itself', () => {
  it('a read that began before a change does not keep its page, and at most TOOL_LIST_CACHE_SIZE pages are kept', async () => {
    const cache = createToolListCache({ databaseUrl: a.deps.config.DATABASE_URL, ttlMs: 3_600_000, maxEntries: 2, logger: a.deps.logger });
    try {
      await eventually(async () => cache.listening, 'the cache listens', 10_000);
      let loads = 0;
      const load = async () => ({ page: (loads += 1) });
      // The change lands while the read is under way: its page may predate it.
      const stale = await cache.read('k', async () => {
        cache.forget();
        return load();
      });
      expect(stale).toEqual({ page: 1 });
      await eventually(async () => {
        loads = 0;
        await cache.read('k', load);
        await cache.read('k', load);
        return loads === 1;
      }, 'a page read after the change is remembered');
      for (const key of ['k', 'k2', 'k3', `k-${randomUUID()}`]) await cache.read(key, load);
      expect(cache.size).toBeLessThanOrEqual(2);
    } finally {
      await cache.close();
    }
  });
});
