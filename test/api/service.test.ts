// Service endpoints over real HTTP: health, readiness against real and dead
// dependencies, the OpenAPI document, metrics and the Temporal UI codec server.
import { HttpClient, signedUpClient, startTestApi } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { grantRole } from '../helpers/accounts';

const UI_ORIGIN = 'http://localhost:8233';
const api = useTestApi({ TEMPORAL_UI_ORIGIN: UI_ORIGIN });

async function operatorClient() {
  const operator = await signedUpClient(api.baseUrl, 'Operator');
  await grantRole(testPrisma(), operator.email, 'admin');
  return operator;
}

describe('health and readiness', () => {
  it('/healthz answers 200; /readyz answers 200 when Postgres and Temporal answer', async () => {
    const client = new HttpClient(api.baseUrl);
    expect((await client.get('/healthz')).status).toBe(200);
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'ok', temporal: 'ok' });
  });

  it('/readyz answers 503 naming the dependency that does not answer', async () => {
    const noTemporal = await startTestApi({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    const noPostgres = await startTestApi({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' });
    try {
      const a = await new HttpClient(noTemporal.baseUrl).get('/readyz');
      expect(a.status).toBe(503);
      expect(a.body.error).toMatchObject({ code: 'not_ready', details: { postgres: 'ok', temporal: 'down' } });
      const b = await new HttpClient(noPostgres.baseUrl).get('/readyz');
      expect(b.status).toBe(503);
      expect(b.body.error.details).toEqual({ postgres: 'down', temporal: 'ok' });
      // Liveness does not depend on them.
      expect((await new HttpClient(noPostgres.baseUrl).get('/healthz')).status).toBe(200);
    } finally {
      await noTemporal.close();
      await noPostgres.close();
    }
  });
});

describe('OpenAPI document and docs', () => {
  it('documents every route the API serves, with its request schema', async () => {
    const doc = (await new HttpClient(api.baseUrl).get('/openapi.json')).body;
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /codec/encode',
        'POST /codec/decode',
        'POST /v1/auth/signup',
        'POST /v1/auth/login',
        'POST /v1/auth/logout',
        'POST /v1/auth/tokens',
        'GET /v1/auth/tokens',
        'DELETE /v1/auth/tokens/{id}',
        'GET /v1/me',
        'PATCH /v1/me',
        'PUT /v1/me/consents',
        'PUT /v1/me/cookie-preferences',
        'POST /v1/tools',
        'GET /v1/tools',
        'GET /v1/tools/{id}',
        'PATCH /v1/tools/{id}',
        'DELETE /v1/tools/{id}',
      ]),
    );
    const signup = doc.paths['/v1/auth/signup'].post;
    expect(signup.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SignupRequest' });
    expect(doc.components.schemas.SignupRequest.required).toEqual(expect.arrayContaining(['name', 'email', 'password']));
    expect(doc.components.schemas.SignupRequest.additionalProperties).toBe(false);
  });

  it('serves the docs page', async () => {
    const res = await new HttpClient(api.baseUrl).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});

describe('metrics (operators only)', () => {
  it('refuses anonymous callers and plain users, and serves Prometheus text to operators', async () => {
    expect((await new HttpClient(api.baseUrl).get('/metrics')).status).toBe(401);
    const { client } = await signedUpClient(api.baseUrl);
    const denied = await client.get('/metrics');
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('forbidden');
    const operator = await operatorClient();
    await operator.client.get('/healthz');
    const res = await operator.client.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.text).toContain('http_request_duration_seconds_bucket');
  });
});

describe('Temporal Web UI codec server', () => {
  const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"codec-marker-42"').toString('base64') };

  it('encodes and decodes payloads for an operator; the encoded form holds no plain text and names its key', async () => {
    const operator = await operatorClient();
    const encoded = await operator.client.post('/codec/encode', { payloads: [plain] });
    expect(encoded.status).toBe(200);
    const payload = encoded.body.payloads[0];
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payload.metadata['encryption-key-id'], 'base64').toString()).toBe('v2');
    expect(Buffer.from(payload.data, 'base64').toString('latin1')).not.toContain('codec-marker-42');
    const decoded = await operator.client.post('/codec/decode', { payloads: [payload] });
    expect(decoded.body.payloads[0]).toEqual(plain);
  });

  it('refuses anyone who is not an operator', async () => {
    expect((await new HttpClient(api.baseUrl).post('/codec/decode', { payloads: [plain] })).status).toBe(401);
    const { client } = await signedUpClient(api.baseUrl);
    expect((await client.post('/codec/decode', { payloads: [plain] })).status).toBe(403);
  });

  it('answers CORS preflights from the configured UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${api.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts the operator’s cookie from the UI origin without a CSRF header, but not from any other origin', async () => {
    const operator = await operatorClient();
    operator.client.sendCsrf = false;
    const fromUi = await operator.client.post('/codec/encode', { payloads: [plain] }, { origin: UI_ORIGIN });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const fromElsewhere = await operator.client.post('/codec/encode', { payloads: [plain] }, { origin: 'https://evil.example' });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.body.error.code).toBe('csrf_token_invalid');
  });

  it('answers 422 for a payload it cannot decrypt, and 400 for a malformed body', async () => {
    const operator = await operatorClient();
    const forged = {
      metadata: { encoding: Buffer.from('binary/encrypted').toString('base64'), 'encryption-key-id': Buffer.from('v2').toString('base64') },
      data: Buffer.from('not really encrypted').toString('base64'),
    };
    const res = await operator.client.post('/codec/decode', { payloads: [forged] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('undecodable_payload');
    expect((await operator.client.post('/codec/decode', { payloads: 'nope' })).status).toBe(400);
  });
});

describe('security headers and error bodies', () => {
  it('sends helmet headers and never a stack trace', async () => {
    const res = await new HttpClient(api.baseUrl).get('/v1/tools/not-a-uuid');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});
