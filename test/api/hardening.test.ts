// The attacks an outside review ran against the API, each replayed as it was
// sent: every one must get a clear 4xx with a code (never a 500), change
// nothing, and leave the event loop free.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { HttpClient, signedUpClient, startTestApi } from '../helpers/api';
import { testPrisma, uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { freePort } from '../../scripts/lib/dev-services';
import { toolDefinition } from '../helpers/tools';
import { inputValidator } from '../../src/tools/input-schema';

const api = useTestApi();

const prisma = testPrisma();

const nested = (depth: number): Record<string, unknown> => {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i += 1) schema = { type: 'object', properties: { x: schema } };
  return schema;
};

describe('a tool input schema cannot stall or crash the API', () => {
  it('a catastrophic-backtracking pattern is validated in linear time: /healthz answers within 100 ms meanwhile', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const created = await creator.client.post(
      '/v1/tools',
      toolDefinition({ prompt: 'Echo {{word}}', inputSchema: { type: 'object', properties: { word: { type: 'string', maxLength: 100, pattern: '^(a+)+$' } } } }),
    );
    expect(created.status).toBe(201);
    const user = await signedUpClient(api.baseUrl); // no credits: inputs are validated before any hold
    // 28 'a' and a '!' took 4.7 s on a backtracking engine, doubling per character: 40 would take hours.
    const hostile = Array.from({ length: 4 }, () =>
      user.client.post(`/v1/tools/${created.body.tool.id}/executions`, { inputs: { word: `${'a'.repeat(40)}!` } }),
    );
    const probes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const t0 = performance.now();
      const health = await fetch(`${api.baseUrl}/healthz`);
      probes.push(performance.now() - t0);
      expect(health.status).toBe(200);
    }
    for (const res of await Promise.all(hostile)) {
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('invalid_inputs');
    }
    expect(Math.min(...probes)).toBeLessThan(100);
    expect(Math.max(...probes)).toBeLessThan(1000);
    // The same engine still matches what it should.
    const validate = inputValidator(created.body.tool.inputSchema);
    expect([validate({ word: 'aaaa' }), validate({ word: 'aaa!' })]).toEqual([true, false]);
  });

  const schemaCases: [string, unknown, string][] = [
    ['a self-referential $ref', { type: 'object', properties: { word: { $ref: '#/properties/word' } } }, 'validation_failed'],
    ['a $ref to the root', { type: 'object', properties: { word: { type: 'string', $ref: '#' } } }, 'validation_failed'],
    ['a schema nested 300 deep', { type: 'object', properties: { word: nested(300) } }, 'validation_failed'],
    ['a schema nested 5 deep', { type: 'object', properties: { word: nested(5) } }, 'validation_failed'],
    ['101 enum values', { type: 'object', properties: { word: { type: 'string', enum: Array.from({ length: 101 }, (_, i) => `v${i}`) } } }, 'validation_failed'],
    ['51 inputs', { type: 'object', properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`w${i}`, { type: 'string' }])) }, 'validation_failed'],
    ['a combinator', { type: 'object', properties: { word: { anyOf: [{ type: 'string' }] } } }, 'validation_failed'],
    ['a pattern longer than 500 characters', { type: 'object', properties: { word: { type: 'string', pattern: 'a'.repeat(501) } } }, 'validation_failed'],
    ['a backreference (not RE2)', { type: 'object', properties: { word: { type: 'string', pattern: '^(a)\\1$' } } }, 'invalid_input_schema'],
    ['a lookahead (not RE2)', { type: 'object', properties: { word: { type: 'string', pattern: '^(?=a)a+$' } } }, 'invalid_input_schema'],
    ['a pattern whose program is too large', { type: 'object', properties: { word: { type: 'string', pattern: '[a-z]{1000}'.repeat(6) } } }, 'invalid_input_schema'],
    ['a NUL in a description', { type: 'object', properties: { word: { type: 'string', description: 'a\u0000b' } } }, 'validation_failed'],
  ];
  it.each(schemaCases)('%s → 400 %s, no tool', async (_label, inputSchema, code) => {
    const creator = await signedUpClient(api.baseUrl);
    const res = await creator.client.post('/v1/tools', toolDefinition({ prompt: 'Echo {{word}}', inputSchema }));
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 400, code });
    expect(await prisma.tool.count({ where: { creatorId: creator.user.id } })).toBe(0);
  });
});

describe('text that Postgres cannot store is refused, on every route that stores text', () => {
  const badTexts: [string, string][] = [
    ['a NUL byte', 'before\u0000after'],
    ['a lone high surrogate', 'before\ud800after'],
    ['a lone low surrogate', '\udc00'],
  ];
  const writes: [string, (client: HttpClient, text: string, toolId: string) => Promise<{ status: number; body: any }>][] = [
    ['sign-up name', (c, text) => c.post('/v1/auth/signup', { name: text, email: uniqueEmail(), password: 'long enough password' })],
    ['token name', (c, text) => c.post('/v1/auth/tokens', { name: text })],
    ['profile name', (c, text) => c.patch('/v1/me', { name: text })],
    ['provider key label', (c, text) => c.post('/v1/me/provider-keys', { provider: 'openai', apiKey: `sk-${'x'.repeat(30)}`, label: text })],
    ['tool name', (c, text) => c.post('/v1/tools', toolDefinition({ name: text }))],
    ['tool description', (c, text) => c.post('/v1/tools', toolDefinition({ description: text }))],
    ['tool update', (c, text, toolId) => c.patch(`/v1/tools/${toolId}`, { description: text })],
    ['a property name', (c, text) => c.post('/v1/tools', toolDefinition({ inputSchema: { type: 'object', properties: { [text]: { type: 'string' } } } }))],
    ['run inputs', (c, text, toolId) => c.post(`/v1/tools/${toolId}/executions`, { inputs: { who: text } })],
  ];
  it.each(writes)('%s → 400 validation_failed for NUL and unpaired surrogates; nothing stored', async (_label, write) => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const tool = (await client.post('/v1/tools', toolDefinition())).body.tool;
    const snapshot = async () =>
      JSON.stringify([
        await prisma.user.findUnique({ where: { id: user.id }, include: { apiTokens: true, providerKeys: true } }),
        await prisma.tool.findMany({ where: { creatorId: user.id } }),
      ]);
    const before = await snapshot();
    for (const [, text] of badTexts) {
      const res = await write(client, text, tool.id);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 400, code: 'validation_failed' });
    }
    const after = await snapshot();
    expect(after).toBe(before);
  });

  it('a body nested deeper than 32 levels is refused before any handler', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const res = await client.post('/v1/auth/tokens', { name: 'x', deep: nested(40) });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].code).toBe('too_deep');
  });
});

describe('bodies that cannot be decoded', () => {
  const routes: [string, string, unknown][] = [
    ['POST', '/v1/auth/signup', { name: 'x', email: 'x@example.test', password: 'long enough password' }],
    ['POST', '/v1/auth/login', { email: 'x@example.test', password: 'whatever' }],
    ['POST', '/v1/auth/tokens', { name: 'x' }],
    ['PATCH', '/v1/me', { name: 'x' }],
    ['PUT', '/v1/me/consents', { marketing: true }],
    ['POST', '/v1/me/provider-keys', { provider: 'openai', apiKey: `sk-${'x'.repeat(30)}` }],
    ['POST', '/v1/tools', toolDefinition()],
    ['POST', '/v1/credits/checkout', { packageId: 'starter' }],
    ['POST', `/v1/tools/${randomUUID()}/executions`, { inputs: {} }],
  ];
  it.each(routes)('%s %s with Content-Encoding: gzip over plain JSON → 400 malformed_body', async (method, path, body) => {
    const { client } = await signedUpClient(api.baseUrl);
    const res = await client.request(method, path, JSON.stringify(body), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 400, code: 'malformed_body' });
    // Real gzip still works.
    const real = await fetch(`${api.baseUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ email: 'nobody@example.test', password: 'whatever' })),
    });
    expect(real.status).toBe(401);
  });
});

describe('cursors', () => {
  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const id = randomUUID();
  const cursors: [string, string][] = [
    ['a date before Postgres can store it', cursorOf(['-200000-01-01T00:00:00.000Z', id])],
    ['the largest JavaScript date', cursorOf(['+275760-09-13T00:00:00.000Z', id])],
    ['a date as a huge number', cursorOf([1e308, id])],
    ['a date as a small number', cursorOf([123, id])],
    ['an id that is a number', cursorOf(['2026-01-01T00:00:00.000Z', 5])],
    ['a date out of range but well formed', cursorOf(['0001-01-01T00:00:00.000Z', id])],
    ['not JSON', Buffer.from('\u0000garbage').toString('base64url')],
  ];
  const lists = ['/v1/tools', '/v1/executions', '/v1/credits/transactions', '/v1/auth/tokens', '/v1/me/provider-keys'];
  it.each(cursors)('%s → 400 invalid_cursor on every list route', async (_label, cursor) => {
    const { client } = await signedUpClient(api.baseUrl);
    for (const list of lists) {
      const res = await client.get(`${list}?cursor=${cursor}`);
      expect({ list, status: res.status, code: res.body?.error?.code }).toEqual({ list, status: 400, code: 'invalid_cursor' });
    }
  });

  it('a cursor this API returned still pages', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    for (let i = 0; i < 3; i += 1) await client.post('/v1/auth/tokens', { name: `t${i}` });
    const first = await client.get('/v1/auth/tokens?limit=2');
    const second = await client.get(`/v1/auth/tokens?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items).toHaveLength(1);
  });
});

describe('while Postgres is down', () => {
  it('data routes answer 503 database_unavailable (not 500); liveness still answers', async () => {
    const down = await startTestApi({ DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/nothing` });
    try {
      const anonymous = new HttpClient(down.baseUrl);
      expect((await anonymous.get('/healthz')).status).toBe(200);
      for (const res of [
        await anonymous.get('/v1/tools'),
        await anonymous.post('/v1/auth/login', { email: 'x@example.test', password: 'whatever' }),
        await anonymous.get('/v1/me', { authorization: 'Bearer stl_somethingthatlooksright' }),
      ]) {
        expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 503, code: 'database_unavailable' });
      }
      expect((await anonymous.get('/readyz')).status).toBe(503);
    } finally {
      await down.close();
    }
  });
});

describe('email changes', () => {
  it('are limited per user, so registered addresses cannot be enumerated through PATCH /v1/me', async () => {
    const limited = await startTestApi({ EMAIL_CHANGE_RATE_LIMIT_MAX: '3' });
    try {
      const taken = await signedUpClient(limited.baseUrl);
      const prober = await signedUpClient(limited.baseUrl);
      const answers: number[] = [];
      for (let i = 0; i < 6; i += 1) answers.push((await prober.client.patch('/v1/me', { email: i % 2 ? taken.email : uniqueEmail() })).status);
      expect(answers.slice(0, 3).every((s) => s === 200 || s === 409)).toBe(true);
      expect(answers.slice(3)).toEqual([429, 429, 429]);
      // Other profile changes are not limited by it.
      expect((await prober.client.patch('/v1/me', { name: 'Still me' })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
