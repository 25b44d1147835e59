// Tools over real HTTP against real Postgres: the prompt is visible to its
// creator only, stored encrypted, validated on save, and destroyed on delete.
import { HttpClient, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';

const api = useTestApi();

const SECRET_PROMPT = 'You are a haiku master. PROMPT-MARKER-7f3a. Write a haiku about {{topic}} in {{language}}.';
const toolBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Haiku writer',
  description: 'Writes a haiku about a topic',
  prompt: SECRET_PROMPT,
  inputSchema: {
    type: 'object',
    properties: { topic: { type: 'string', maxLength: 200 }, language: { type: 'string', enum: ['en', 'fr'] } },
    required: ['topic'],
  },
  model: 'gpt-4o-mini',
  priceCredits: 5,
  ...overrides,
});

describe('creating and reading tools', () => {
  it('creates a tool; the creator sees the prompt, everyone else (signed in or not) never does', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const created = await creator.client.post('/v1/tools', toolBody());
    expect(created.status).toBe(201);
    const tool = created.body.tool;
    expect(tool).toMatchObject({ name: 'Haiku writer', creatorId: creator.user.id, prompt: SECRET_PROMPT, priceCredits: 5 });

    const other = await signedUpClient(api.baseUrl, 'Other');
    const anonymous = new HttpClient(api.baseUrl);
    for (const client of [other.client, anonymous]) {
      const one = await client.get(`/v1/tools/${tool.id}`);
      expect(one.status).toBe(200);
      expect(one.body.tool.name).toBe('Haiku writer');
      expect(one.text).not.toContain('PROMPT-MARKER-7f3a');
      const list = await client.get(`/v1/tools?creatorId=${creator.user.id}`);
      expect(list.body.items).toHaveLength(1);
      expect(list.text).not.toContain('PROMPT-MARKER-7f3a');
    }
    expect((await creator.client.get(`/v1/tools/${tool.id}`)).body.tool.prompt).toBe(SECRET_PROMPT);
  });

  it('stores the prompt encrypted: the plain text is nowhere in the row', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const { tool } = (await creator.client.post('/v1/tools', toolBody())).body;
    const rows = await testPrisma().$queryRaw<{ row: string }[]>`SELECT t::text AS row FROM tools t WHERE id = ${tool.id}::uuid`;
    expect(rows[0]?.row).toBeDefined();
    expect(rows[0]?.row).not.toContain('PROMPT-MARKER');
    expect(rows[0]?.row).not.toContain('haiku master');
  });

  it('lists newest first with cursor pagination', async () => {
    const creator = await signedUpClient(api.baseUrl);
    for (const name of ['one', 'two', 'three']) await creator.client.post('/v1/tools', toolBody({ name }));
    const page1 = await creator.client.get(`/v1/tools?creatorId=${creator.user.id}&limit=2`);
    expect(page1.body.items.map((t: { name: string }) => t.name)).toEqual(['three', 'two']);
    const page2 = await creator.client.get(`/v1/tools?creatorId=${creator.user.id}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((t: { name: string }) => t.name)).toEqual(['one']);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('pages the whole public list once each, newest first, without deleted tools, even when tools share a created_at', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push((await creator.client.post('/v1/tools', toolBody({ name }))).body.tool.id);
    // Three of them in the same millisecond: only the id orders them, and no page may skip or repeat one.
    await testPrisma().tool.updateMany({ where: { id: { in: ids.slice(1, 4) } }, data: { createdAt: new Date('2026-01-01T00:00:00.000Z') } });
    expect((await creator.client.delete(`/v1/tools/${ids[4]}`)).status).toBe(204);

    const anonymous = new HttpClient(api.baseUrl);
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string; createdAt: string }[]; nextCursor: string | null } } = await anonymous.get(`/v1/tools?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const seenIds = seen.map((t) => t.id);
    expect(new Set(seenIds).size).toBe(seenIds.length);
    expect(seenIds).toEqual(expect.arrayContaining(ids.slice(0, 4)));
    expect(seenIds).not.toContain(ids[4]);
    const order = seen.map((t) => [t.createdAt, t.id].join(' '));
    expect(order).toEqual([...order].sort().reverse());
  });
});

describe('updating and deleting', () => {
  it('lets the creator change a tool, re-checking the prompt against the schema', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const { tool } = (await creator.client.post('/v1/tools', toolBody())).body;
    const res = await creator.client.patch(`/v1/tools/${tool.id}`, { priceCredits: 7, prompt: 'Short poem on {{topic}}' });
    expect(res.status).toBe(200);
    expect(res.body.tool).toMatchObject({ priceCredits: 7, prompt: 'Short poem on {{topic}}' });
    const bad = await creator.client.patch(`/v1/tools/${tool.id}`, { prompt: 'Uses {{missing}}' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_prompt_template');
    expect((await creator.client.get(`/v1/tools/${tool.id}`)).body.tool.prompt).toBe('Short poem on {{topic}}');
  });

  it('deleting destroys the prompt in the database at once; the tool then answers 404 to everyone', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const { tool } = (await creator.client.post('/v1/tools', toolBody())).body;
    expect((await creator.client.delete(`/v1/tools/${tool.id}`)).status).toBe(204);
    const row = await testPrisma().tool.findUniqueOrThrow({ where: { id: tool.id } });
    expect(row.promptCiphertext).toBeNull();
    expect(row.deletedAt).not.toBeNull();
    expect((await creator.client.get(`/v1/tools/${tool.id}`)).status).toBe(404);
    expect((await new HttpClient(api.baseUrl).get(`/v1/tools/${tool.id}`)).status).toBe(404);
    expect((await creator.client.patch(`/v1/tools/${tool.id}`, { name: 'zombie' })).status).toBe(404);
    expect((await creator.client.delete(`/v1/tools/${tool.id}`)).status).toBe(404);
  });

  it('another user can neither change nor delete someone else’s tool: 404, and nothing changes', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const { tool } = (await creator.client.post('/v1/tools', toolBody())).body;
    const intruder = await signedUpClient(api.baseUrl, 'Intruder');
    const patch = await intruder.client.patch(`/v1/tools/${tool.id}`, { priceCredits: 0 });
    expect(patch.status).toBe(404);
    expect(patch.body.error.code).toBe('not_found');
    expect((await intruder.client.delete(`/v1/tools/${tool.id}`)).status).toBe(404);
    const row = await testPrisma().tool.findUniqueOrThrow({ where: { id: tool.id } });
    expect(row).toMatchObject({ priceCredits: 5, deletedAt: null });
    expect(row.promptCiphertext).not.toBeNull();
  });

  it('requires authentication to create, change or delete', async () => {
    const anonymous = new HttpClient(api.baseUrl);
    const res = await anonymous.post('/v1/tools', toolBody());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});

describe('tool definitions are validated when saved', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a placeholder that is not an input', { prompt: 'About {{nothing}}' }, 'invalid_prompt_template'],
    ['a required input that is not a property', { inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic', 'ghost'] } }, 'invalid_input_schema'],
    ['a non-scalar input', { inputSchema: { type: 'object', properties: { topic: { type: 'object' } } } }, 'validation_failed'],
    ['an unknown JSON Schema keyword', { inputSchema: { type: 'object', properties: { topic: { type: 'string', maxLenght: 3 } } } }, 'validation_failed'],
    ['a schema that is not an object schema', { inputSchema: { type: 'array', items: {} } }, 'validation_failed'],
    ['an unpriced model', { model: 'gpt-99' }, 'validation_failed'],
    ['a negative price', { priceCredits: -1 }, 'validation_failed'],
    ['a fractional price', { priceCredits: 1.5 }, 'validation_failed'],
    ['an unknown field', { promptVersion: 2 }, 'validation_failed'],
  ];
  it.each(cases)('%s → 400 and no tool is created', async (_label, overrides, code) => {
    const creator = await signedUpClient(api.baseUrl);
    const body = toolBody(overrides);
    if (overrides.prompt === undefined && code === 'invalid_input_schema') body.prompt = 'About {{topic}}';
    const res = await creator.client.post('/v1/tools', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(await testPrisma().tool.count({ where: { creatorId: creator.user.id } })).toBe(0);
  });

  it('a malformed tool id → 400; an unknown one → 404', async () => {
    const anonymous = new HttpClient(api.baseUrl);
    expect((await anonymous.get('/v1/tools/not-a-uuid')).status).toBe(400);
    const unknown = await anonymous.get('/v1/tools/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});
