// Cookies: the server sets only the essential ones, `sid` (the session) and
// `csrf_token` (the CSRF defence needs it), whatever the analytics preference.
// Analytics cookies are the front end's, set only when cookiePreferences.analytics
// is true. Every operation of the OpenAPI document is called, signed in with
// analytics allowed, and every Set-Cookie of every answer is checked.
import { randomUUID } from 'node:crypto';
import { HttpClient, signedUpClient, TEST_PASSWORD } from '../helpers/api';
import { useTestApi } from '../helpers/lifecycle';

const api = useTestApi();
const ESSENTIAL = new Set(['sid', 'csrf_token']);

function cookieNames(headers: Headers): string[] {
  return headers.getSetCookie().map((line) => line.split('=')[0]!.trim());
}

it('no answer of any route sets a cookie other than sid and csrf_token, with analytics cookies allowed', async () => {
  const seen = new Map<string, string>();
  const record = (what: string, headers: Headers) => {
    for (const name of cookieNames(headers)) seen.set(name, what);
  };

  const { client, email } = await signedUpClient(api.baseUrl);
  const allowed = await client.put('/v1/me/cookie-preferences', { analytics: true });
  expect(allowed.body).toEqual({ analytics: true });
  record('PUT /v1/me/cookie-preferences', allowed.headers);
  const login = await new HttpClient(api.baseUrl).post('/v1/auth/login', { email, password: TEST_PASSWORD });
  expect(login.status).toBe(200);
  record('POST /v1/auth/login', login.headers);
  expect(cookieNames(login.headers).sort()).toEqual(['csrf_token', 'sid']);

  const document = (await client.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const calls: [string, string][] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    for (const method of Object.keys(operations)) calls.push([method.toUpperCase(), template.replace(/\{[^}]+\}/g, randomUUID())]);
  }
  expect(calls.length).toBeGreaterThan(30);
  // Log-out last: it clears the session the other calls use.
  calls.sort(([, a], [, b]) => Number(a === '/v1/auth/logout') - Number(b === '/v1/auth/logout'));
  for (const [method, path] of calls) {
    const res = await client.request(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
    expect([method, path, res.status]).not.toEqual([method, path, 500]); // 503 is fine: payments are not configured here
    record(`${method} ${path} (${res.status})`, res.headers);
  }
  for (const path of ['/healthz', '/docs/', '/no-such-route']) record(`GET ${path}`, (await client.get(path)).headers);

  const nonEssential = [...seen].filter(([name]) => !ESSENTIAL.has(name));
  expect(nonEssential).toEqual([]);
  expect([...seen.keys()].sort()).toEqual(['csrf_token', 'sid']);
});
