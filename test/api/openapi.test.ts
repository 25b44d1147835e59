// The OpenAPI document is a contract clients generate code from: it must say
// what the server does. Each test reads /openapi.json and checks one promise
// against the running server over HTTP.
import { HttpClient, signedUpClient } from '../helpers/api';
import { uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { createTool } from '../helpers/tools';
import { ERROR_CATALOG } from '../../src/errors';
import { HTTP_STATUS } from '../../src/api/errors';

const api = useTestApi();
let doc: any;
beforeAll(async () => {
  doc = (await new HttpClient(api.baseUrl).get('/openapi.json')).body;
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
const operation = (id: string) => {
  const found = operations().find((o) => o.op.operationId === id);
  if (!found) throw new Error(`no operation ${id}`);
  return found.op;
};
const errorCodesOf = (op: any, status: number): string[] => [...String(op.responses[status]?.description ?? '').matchAll(/`([a-z_]+)`/g)].map((m) => m[1] as string);

it('every operation has a unique operationId and a description', () => {
  const ids = operations().map((o) => o.op.operationId);
  expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  for (const { op } of operations()) expect(op.description?.length).toBeGreaterThan(10);
});

it('every documented error code is in the catalog, under the status the server answers it with', () => {
  for (const { op } of operations()) {
    for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
      if (Number(status) < 400 || !response.content?.['application/json']?.schema?.$ref?.endsWith('/Error')) continue;
      for (const code of errorCodesOf(op, Number(status))) {
        expect(Object.keys(ERROR_CATALOG)).toContain(code);
        expect([code, HTTP_STATUS[code as keyof typeof HTTP_STATUS]]).toEqual([code, Number(status)]);
      }
    }
  }
});

it('timestamps are date-time strings', () => {
  const tool = doc.components.schemas.Tool.properties;
  expect(tool.createdAt).toMatchObject({ type: 'string', format: 'date-time' });
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.components.schemas.Execution.properties.finishedAt).toMatchObject({ type: ['string', 'null'], format: 'date-time' });
});

it('a public route declares optional security and documents 401 invalid_token, which a bad token gets', async () => {
  const op = operation('listTools');
  expect(op.security).toContainEqual({});
  expect(errorCodesOf(op, 401)).toEqual(['invalid_token']);
  const res = await new HttpClient(api.baseUrl).get('/v1/tools', { authorization: 'Bearer stl_not-a-real-token' });
  expect([res.status, res.body.error.code]).toEqual([401, 'invalid_token']);
  expect((await new HttpClient(api.baseUrl).get('/v1/tools')).status).toBe(200);
});

it('an unsafe route documents 403 csrf_token_invalid, which a cookie without the header gets', async () => {
  expect(errorCodesOf(operation('createTool'), 403)).toContain('csrf_token_invalid');
  const { client } = await signedUpClient(api.baseUrl);
  client.sendCsrf = false;
  const res = await client.post('/v1/tools', {});
  expect([res.status, res.body.error.code]).toEqual([403, 'csrf_token_invalid']);
});

it('a request body is required: documented, and an empty POST is 400 body_required', async () => {
  const op = operation('createTool');
  expect(op.requestBody.required).toBe(true);
  expect(errorCodesOf(op, 400)).toEqual(expect.arrayContaining(['body_required', 'validation_failed', 'malformed_json']));
  expect(errorCodesOf(op, 413)).toEqual(['payload_too_large']);
  expect(errorCodesOf(op, 415)).toEqual(['unsupported_media_type']);
  const { client } = await signedUpClient(api.baseUrl);
  const empty = await client.request('POST', '/v1/tools');
  expect([empty.status, empty.body.error.code]).toEqual([400, 'body_required']);
  const text = await client.request('POST', '/v1/tools', 'name=x', { 'content-type': 'text/plain' });
  expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type']);
});

it('headers are parameters: Idempotency-Key, Stripe-Signature, X-CSRF-Token; response headers Location, Retry-After, Set-Cookie', () => {
  const headerParams = (id: string) => (operation(id).parameters ?? []).filter((p: any) => p.in === 'header').map((p: any) => [p.name, p.required ?? false]);
  expect(headerParams('startExecution')).toEqual(expect.arrayContaining([['Idempotency-Key', false], ['X-CSRF-Token', false]]));
  expect(headerParams('adjustCredits')).toContainEqual(['Idempotency-Key', true]);
  expect(headerParams('receiveStripeEvent')).toContainEqual(['Stripe-Signature', true]);
  expect(Object.keys(operation('startExecution').responses[202].headers)).toEqual(['Location']);
  expect(Object.keys(operation('startExecution').responses[429].headers)).toContain('Retry-After');
  expect(errorCodesOf(operation('startExecution'), 429)).toEqual(expect.arrayContaining(['rate_limited', 'too_many_running']));
  expect(Object.keys(operation('signUp').responses[201].headers)).toEqual(['Set-Cookie']);
});

it('readyz documents its 503 as not ready, and /metrics as text/plain', () => {
  expect(operation('getReadiness').responses[503].description).toMatch(/not ready/i);
  expect(Object.keys(operation('getMetrics').responses[200].content)).toEqual(['text/plain; version=0.0.4']);
});

it('PATCH bodies need at least one field, as the schema says', async () => {
  expect(doc.components.schemas.UpdateToolRequest.minProperties).toBe(1);
  expect(doc.components.schemas.UpdateMeRequest.minProperties).toBe(1);
  const { client } = await signedUpClient(api.baseUrl);
  const res = await client.patch('/v1/me', {});
  expect([res.status, res.body.error.code]).toEqual([400, 'validation_failed']);
});

it('string lengths are counted in characters, as JSON Schema counts them', async () => {
  const signup = doc.components.schemas.SignupRequest.properties;
  expect(signup.password).toMatchObject({ minLength: 10, maxLength: 200 });
  expect(signup.name).toMatchObject({ minLength: 1, maxLength: 100 });
  const client = new HttpClient(api.baseUrl);
  // 5 emoji are 10 UTF-16 units but 5 characters: shorter than minLength 10.
  const short = await client.post('/v1/auth/signup', { name: 'Emoji', email: uniqueEmail(), password: '😀'.repeat(5) });
  expect([short.status, short.body.error.code]).toEqual([400, 'validation_failed']);
  // 60 emoji are 120 UTF-16 units but 60 characters: within maxLength 100.
  const long = await client.post('/v1/auth/signup', { name: '😀'.repeat(60), email: uniqueEmail(), password: '😀'.repeat(10) });
  expect(long.status).toBe(201);
  expect(long.body.user.name).toBe('😀'.repeat(60));
});

it('the email pattern in the document is the one the server enforces', async () => {
  const pattern = new RegExp(doc.components.schemas.SignupRequest.properties.email.pattern);
  const client = new HttpClient(api.baseUrl);
  for (const address of ['plain@example.com', 'first.last+tag@sub.example.org', "o'brien@example.ie"]) {
    expect(pattern.test(address)).toBe(true);
    expect((await client.post('/v1/auth/signup', { name: 'E', email: address.replace('@', `-${Date.now()}@`), password: 'long enough password' })).status).toBe(201);
  }
  for (const address of ['no-at-sign', 'two@@example.com', '.dot@example.com', 'a..b@example.com', 'x@localhost']) {
    expect(pattern.test(address)).toBe(false);
    expect((await client.post('/v1/auth/signup', { name: 'E', email: address, password: 'long enough password' })).status).toBe(400);
  }
});

it('the tool input-schema subset is described: property names, types and keywords', async () => {
  const property = doc.components.schemas.ToolInputProperty;
  expect(property.properties.type.enum).toEqual(expect.arrayContaining(['string', 'number', 'integer', 'boolean']));
  expect(property.additionalProperties).toBe(false);
  const properties = doc.components.schemas.ToolInputSchema.properties.properties;
  expect(properties.maxProperties).toBe(50);
  const names = new RegExp(properties.propertyNames.pattern);
  expect(names.test('topic_2')).toBe(true);
  expect(names.test('')).toBe(false);
  const { client } = await signedUpClient(api.baseUrl);
  const bad = await client.post('/v1/tools', { name: 'X', description: '', prompt: 'Hi', inputSchema: { type: 'object', properties: { '': { type: 'string', maxLength: 5 } } }, model: 'gpt-4o-mini', priceCredits: 10 });
  expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
});

it('text fields document that NUL and unpaired surrogates are refused, and the server refuses them', async () => {
  const name = doc.components.schemas.SignupRequest.properties.name;
  const safe = new RegExp(name.pattern, 'u');
  expect(safe.test('Ada 😀')).toBe(true);
  expect(safe.test('Ada\u0000')).toBe(false);
  expect(name.description).toMatch(/NUL or unpaired surrogates/); // no shared regex dialect can name a lone surrogate
  const client = new HttpClient(api.baseUrl);
  for (const bad of ['Ada\u0000', 'Ada \ud800']) {
    const res = await client.post('/v1/auth/signup', { name: bad, email: uniqueEmail(), password: 'long enough password' });
    expect([res.status, res.body.error.code]).toEqual([400, 'validation_failed']);
  }
});

it('a method a path does not serve answers 405 with Allow, not 404', async () => {
  const { client } = await signedUpClient(api.baseUrl);
  const tool = await createTool(client);
  const res = await client.request('PUT', `/v1/tools/${tool.id}`, { name: 'x' });
  expect([res.status, res.body.error.code]).toEqual([405, 'method_not_allowed']);
  expect(res.headers.get('allow')).toBe('GET, HEAD, PATCH, DELETE');
  const unknown = await client.get('/v1/nothing-here');
  expect([unknown.status, unknown.body.error.code]).toEqual([404, 'route_not_found']);
});

it('paths match as Express matches them: any letter case, with or without a trailing slash, never a longer segment', async () => {
  const { client } = await signedUpClient(api.baseUrl);
  const tool = await createTool(client);
  for (const path of ['/v1/tools', '/V1/Tools', '/v1/tools/', `/v1/TOOLS/${tool.id}`, `/v1/tools/${tool.id}/`, '/HEALTHZ', '/healthz/', '/HEALTHZ/']) {
    expect([path, (await client.get(path)).status]).toEqual([path, 200]);
  }
  for (const path of ['/v1/toolsx', '/v1tools', '//v1/tools', '/v1/tools/x/y/z', '/healthz//']) {
    const res = await client.get(path);
    expect([path, res.status, res.body.error.code]).toEqual([path, 404, 'route_not_found']);
  }
  const wrongMethod = await client.post('/healthz/');
  expect([wrongMethod.status, wrongMethod.body.error.code]).toEqual([405, 'method_not_allowed']);
});

it('every list documents 400 invalid_cursor, which a cursor the API did not return gets; every operation documents 503 database_unavailable', async () => {
  const lists = operations().filter(({ op }) => (op.parameters ?? []).some((p: any) => p.in === 'query' && p.name === 'cursor'));
  expect(lists.length).toBeGreaterThan(5);
  for (const { op } of lists) expect(errorCodesOf(op, 400)).toContain('invalid_cursor');
  for (const { op } of operations()) expect(errorCodesOf(op, 503)).toContain('database_unavailable');
  const forged = await new HttpClient(api.baseUrl).get('/v1/tools?cursor=bm90LW91cnM');
  expect([forged.status, forged.body.error.code]).toEqual([400, 'invalid_cursor']);
});
