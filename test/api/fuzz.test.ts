// A small property-based fuzz of the JSON routes: valid bodies with one field
// replaced by something hostile (NUL bytes, unpaired surrogates, huge numbers,
// deep nesting), raw texts JSON.parse reads oddly (1e999), and bodies whose
// encoding lies. Whatever arrives, the answer is never a 5xx, and every error
// carries a code.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { signedUpClient, type HttpClient } from '../helpers/api';
import { uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { createTool, toolDefinition } from '../helpers/tools';

const api = useTestApi({ EMAIL_CHANGE_RATE_LIMIT_MAX: '100000', EXECUTION_RATE_LIMIT_MAX: '100000' });
let client: HttpClient;
let toolId: string;
beforeAll(async () => {
  ({ client } = await signedUpClient(api.baseUrl));
  toolId = (await createTool(client)).id;
});

/** Each JSON route with a valid body (an unknown tool for runs, so nothing starts a workflow). */
const routes: [string, () => string, () => Record<string, unknown>][] = [
  ['POST', () => '/v1/auth/signup', () => ({ name: 'Fuzz', email: uniqueEmail('fuzz'), password: 'long enough password' })],
  ['POST', () => '/v1/auth/login', () => ({ email: 'nobody@example.test', password: 'whatever it is' })],
  ['POST', () => '/v1/auth/tokens', () => ({ name: 'fuzz token' })],
  ['PATCH', () => '/v1/me', () => ({ name: 'Fuzz', avatarUrl: 'https://example.test/a.png' })],
  ['PUT', () => '/v1/me/consents', () => ({ marketing: true })],
  ['PUT', () => '/v1/me/cookie-preferences', () => ({ analytics: false })],
  ['POST', () => '/v1/me/provider-keys', () => ({ provider: 'openai', apiKey: `sk-${'f'.repeat(30)}`, label: 'fuzz' })],
  ['POST', () => '/v1/tools', () => toolDefinition()],
  ['PATCH', () => `/v1/tools/${toolId}`, () => ({ description: 'fuzzed', priceCredits: 50 })],
  ['POST', () => `/v1/tools/${randomUUID()}/executions`, () => ({ inputs: { who: 'x' }, waitSeconds: 0 })],
  ['POST', () => '/v1/credits/checkout', () => ({ packageId: 'starter' })],
];

const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\u202e', '{{who}}', '%00', '\\u0000', 'é'.repeat(5000)),
);
const hostileNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, -0, 5e-324, 0.5, -1, 2_147_483_648),
);
const deep = fc.integer({ min: 1, max: 400 }).map((depth) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { x: value };
  return value;
});
const hostileValue = fc.oneof(hostileString, hostileNumber, deep, fc.constantFrom(null, true, [], {}), fc.dictionary(hostileString, hostileString, { maxKeys: 5 }));

/** A valid body with one (possibly nested) field replaced, or a key added. */
const mutatedBody = fc.record({
  route: fc.integer({ min: 0, max: routes.length - 1 }),
  field: fc.oneof(fc.nat(), hostileString),
  value: hostileValue,
  nestedIn: fc.option(fc.constantFrom('inputs', 'inputSchema'), { nil: undefined }),
});

const check = (label: string, res: { status: number; body: any; text: string }) => {
  if (res.status >= 500 || (res.status >= 400 && typeof res.body?.error?.code !== 'string')) {
    throw new Error(`${label.slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`);
  }
};

it('valid bodies with one hostile field never get a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(mutatedBody, async ({ route, field, value, nestedIn }) => {
      const [method, path, body] = routes[route] as (typeof routes)[number];
      const payload = body();
      const keys = Object.keys(payload);
      const key = typeof field === 'number' ? (keys[field % keys.length] as string) : field;
      const target = nestedIn && typeof payload[nestedIn] === 'object' ? (payload[nestedIn] as Record<string, unknown>) : payload;
      target[key] = value;
      const res = await client.request(method, path(), payload);
      check(`${method} ${path()} ${JSON.stringify(payload).slice(0, 200)}`, res);
    }),
    { numRuns: 250, seed: 20261128 },
  );
}, 120_000);

it('raw texts and lying encodings never get a 5xx', async () => {
  const rawBody = fc.oneof(
    fc.constantFrom('{"priceCredits":1e999}', '{"name":"\\u0000"}', '{"name":"\\ud800"}', '[]', 'null', '"x"', '{', '{"a":1,"a":2}', '\u0000'),
    deep.map((v) => JSON.stringify(v)),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  );
  const headers = fc.oneof(
    fc.constant({ 'content-type': 'application/json' }),
    fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'identity', 'x-unknown').map((e) => ({ 'content-type': 'application/json', 'content-encoding': e })),
    fc.constantFrom('application/json; charset=latin1', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data').map(
      (t) => ({ 'content-type': t }),
    ),
  );
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: routes.length - 1 }), rawBody, headers, async (route, body, h) => {
      const [method, path] = routes[route] as (typeof routes)[number];
      const res = await client.request(method, path(), body, h);
      check(`${method} ${path()} ${JSON.stringify(h)} ${JSON.stringify(body).slice(0, 120)}`, res);
    }),
    { numRuns: 200, seed: 20261128 },
  );
}, 120_000);

it('hostile query strings on the list routes never get a 5xx', async () => {
  const lists = ['/v1/tools', '/v1/executions', '/v1/credits/transactions', '/v1/auth/tokens', '/v1/me/provider-keys'];
  const value = fc.oneof(
    hostileString.map((s) => encodeURIComponent(s.slice(0, 200).replace(/[\ud800-\udfff]/g, ''))),
    fc.constantFrom('%00', '%ff', '%', '1e999', '-1', '0', '101', 'NaN', '%E0%A4%A'),
    fc.json().map((j) => Buffer.from(j).toString('base64url')),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...lists), fc.constantFrom('cursor', 'limit', 'creatorId', 'other'), value, async (list, name, v) => {
      const res = await client.get(`${list}?${name}=${v}`);
      check(`GET ${list}?${name}=${v}`, res);
    }),
    { numRuns: 200, seed: 20261128 },
  );
}, 120_000);
