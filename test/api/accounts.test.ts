// Accounts over real HTTP against real Postgres: sign-up, log-in, sessions,
// cookies, CSRF, personal API tokens, profile, and bad input of every class.
import { HttpClient, signedUpClient, startTestApi, TEST_PASSWORD } from '../helpers/api';
import { testPrisma, uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { storedAccount, userWithEmail } from '../helpers/accounts';

const api = useTestApi();

describe('sign-up and log-in', () => {
  it('signs up, sets an HttpOnly SameSite session cookie, and stores only a slow hash of the password', async () => {
    const client = new HttpClient(api.baseUrl);
    const email = uniqueEmail();
    const res = await client.post('/v1/auth/signup', { name: 'Ada', email, password: TEST_PASSWORD, avatarUrl: 'https://img.example/a.png' });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ name: 'Ada', email, avatarUrl: 'https://img.example/a.png', roles: ['user'] });
    expect(res.body.user.passwordHash).toBeUndefined();
    const sid = res.headers.getSetCookie().find((c) => c.startsWith('sid='));
    expect(sid).toMatch(/HttpOnly/i);
    expect(sid).toMatch(/SameSite=Lax/i);
    expect(sid).not.toMatch(/Secure/i); // plain HTTP here; the TLS test checks Secure
    const row = await testPrisma().user.findUniqueOrThrow({ where: userWithEmail(email) });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain(TEST_PASSWORD);
    const sessions = await testPrisma().session.findMany({ where: { userId: row.id } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.tokenHash).not.toBe(client.cookies.get('sid'));
  });

  it('logs in with the right password and refuses a wrong one or an unknown email with the same 401', async () => {
    const { email } = await signedUpClient(api.baseUrl);
    const ok = await new HttpClient(api.baseUrl).post('/v1/auth/login', { email: email.toUpperCase(), password: TEST_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(email);
    const wrong = await new HttpClient(api.baseUrl).post('/v1/auth/login', { email, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    const unknown = await new HttpClient(api.baseUrl).post('/v1/auth/login', { email: uniqueEmail(), password: TEST_PASSWORD });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('invalid_credentials');
  });

  it('refuses a second account with the same email and creates nothing', async () => {
    const { email } = await signedUpClient(api.baseUrl);
    const res = await new HttpClient(api.baseUrl).post('/v1/auth/signup', { name: 'Twin', email, password: TEST_PASSWORD });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
    expect(await testPrisma().user.count({ where: userWithEmail(email) })).toBe(1);
  });

  it('logout revokes the session server-side: the old cookie no longer works', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const sid = client.cookies.get('sid') as string;
    const csrf = client.cookies.get('csrf_token') as string;
    expect((await client.post('/v1/auth/logout')).status).toBe(204);
    expect(client.cookies.has('sid')).toBe(false);
    const replay = new HttpClient(api.baseUrl);
    replay.cookies.set('sid', sid);
    replay.cookies.set('csrf_token', csrf);
    const me = await replay.get('/v1/me');
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('unauthenticated');
  });
});

describe('CSRF defence for cookie sessions', () => {
  it('refuses a cookie-authenticated unsafe request without the X-CSRF-Token header, and changes nothing', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    client.sendCsrf = false;
    const res = await client.patch('/v1/me', { name: 'Mallory' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf_token_invalid');
    const wrong = await client.patch('/v1/me', { name: 'Mallory' }, { 'x-csrf-token': 'forged' });
    expect(wrong.status).toBe(403);
    expect((await storedAccount(testPrisma(), user.id)).name).toBe('Test User');
    client.sendCsrf = true;
    expect((await client.patch('/v1/me', { name: 'Renamed' })).status).toBe(200);
  });
});

describe('profile (rectification), consents and cookie preferences', () => {
  it('reads and corrects the profile', async () => {
    const { client, user, email } = await signedUpClient(api.baseUrl);
    const me = await client.get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, name: 'Test User', email, avatarUrl: null, roles: ['user'] });
    expect(typeof me.body.createdAt).toBe('string');
    const newEmail = uniqueEmail('renamed');
    const patched = await client.patch('/v1/me', { name: 'Grace', email: newEmail, avatarUrl: 'https://img.example/g.png' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Grace', email: newEmail, avatarUrl: 'https://img.example/g.png' });
    expect(await storedAccount(testPrisma(), user.id)).toMatchObject({ name: 'Grace', email: newEmail });
  });

  it('refuses to take another account’s email', async () => {
    const first = await signedUpClient(api.baseUrl);
    const second = await signedUpClient(api.baseUrl);
    const res = await second.client.patch('/v1/me', { email: first.email });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('email_taken');
  });

  it('stores marketing consent and the analytics cookie preference; only essential cookies are set by default', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    expect([...client.cookies.keys()].sort()).toEqual(['csrf_token', 'sid']);
    expect((await testPrisma().user.findUniqueOrThrow({ where: { id: user.id } })).analyticsCookies).toBe(false);
    expect((await client.put('/v1/me/consents', { marketing: true })).body).toEqual({ marketing: true });
    expect((await client.put('/v1/me/cookie-preferences', { analytics: true })).body).toEqual({ analytics: true });
    const row = await testPrisma().user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row).toMatchObject({ marketingConsent: true, analyticsCookies: true });
  });
});

describe('personal API tokens', () => {
  it('creates a token shown once, stores only its hash, authenticates with Bearer, and stops working once revoked', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const created = await client.post('/v1/auth/tokens', { name: 'ci script' });
    expect(created.status).toBe(201);
    const { id, token } = created.body;
    expect(token).toMatch(/^stl_/);
    const stored = await testPrisma().apiToken.findUniqueOrThrow({ where: { id } });
    expect(stored.tokenHash).not.toContain(token);

    const script = new HttpClient(api.baseUrl);
    script.bearer = token;
    const me = await script.get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
    // Bearer requests are not ambient credentials: no CSRF token needed.
    expect((await script.patch('/v1/me', { name: 'From script' })).status).toBe(200);

    const list = await client.get('/v1/auth/tokens');
    expect(list.body.items).toEqual([expect.objectContaining({ id, name: 'ci script' })]);
    expect(JSON.stringify(list.body)).not.toContain(token);

    expect((await client.delete(`/v1/auth/tokens/${id}`)).status).toBe(204);
    const after = await script.get('/v1/me');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('invalid_token');
  });

  it('paginates the token list with limit and cursor', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    for (const name of ['a', 'b', 'c']) await client.post('/v1/auth/tokens', { name });
    const first = await client.get('/v1/auth/tokens?limit=2');
    expect(first.body.items.map((t: { name: string }) => t.name)).toEqual(['c', 'b']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await client.get(`/v1/auth/tokens?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((t: { name: string }) => t.name)).toEqual(['a']);
    expect(second.body.nextCursor).toBeNull();
    const bad = await client.get('/v1/auth/tokens?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_cursor');
  });
});

describe('access between users', () => {
  it('a second user can neither see nor revoke the first user’s tokens, and only ever sees their own profile', async () => {
    const alice = await signedUpClient(api.baseUrl, 'Alice');
    const bob = await signedUpClient(api.baseUrl, 'Bob');
    const { id } = (await alice.client.post('/v1/auth/tokens', { name: 'alice token' })).body;
    expect((await bob.client.get('/v1/auth/tokens')).body.items).toEqual([]);
    const revoke = await bob.client.delete(`/v1/auth/tokens/${id}`);
    expect(revoke.status).toBe(404);
    expect((await testPrisma().apiToken.findUniqueOrThrow({ where: { id } })).revokedAt).toBeNull();
    expect((await bob.client.get('/v1/me')).body.id).toBe(bob.user.id);
  });
});

describe('bad input is a clear 4xx that changes nothing', () => {
  const signup = (body: unknown, headers?: Record<string, string>) => new HttpClient(api.baseUrl).post('/v1/auth/signup', body, headers);
  const usersNamed = (name: string) => testPrisma().user.count({ where: { name } });

  it.each([
    ['a missing field', { name: 'Bad Input', password: TEST_PASSWORD }, 'validation_failed'],
    ['a wrong type', { name: 'Bad Input', email: 42, password: TEST_PASSWORD }, 'validation_failed'],
    ['an unknown field', { name: 'Bad Input', email: 'x@example.test', password: TEST_PASSWORD, isAdmin: true }, 'validation_failed'],
    ['a too-short password', { name: 'Bad Input', email: 'y@example.test', password: 'short' }, 'validation_failed'],
    ['a non-https avatar', { name: 'Bad Input', email: 'z@example.test', password: TEST_PASSWORD, avatarUrl: 'javascript:alert(1)' }, 'validation_failed'],
  ])('%s → 400', async (_label, body, code) => {
    const res = await signup(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.details).toEqual(expect.any(Array));
    expect(await usersNamed('Bad Input')).toBe(0);
  });

  it('names unknown fields in the details (roles cannot be granted through the API)', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const res = await client.patch('/v1/me', { roles: ['admin'] });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['roles'] });
    expect((await testPrisma().user.findUniqueOrThrow({ where: { id: user.id } })).roles).toEqual(['user']);
  });

  it('malformed JSON → 400 malformed_json', async () => {
    const res = await signup('{"name": "Bad Input",', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
    expect(await usersNamed('Bad Input')).toBe(0);
  });

  it('an oversized body → 413 payload_too_large', async () => {
    const res = await signup({ name: 'Bad Input', email: uniqueEmail(), password: TEST_PASSWORD, pad: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await usersNamed('Bad Input')).toBe(0);
  });

  it('a body that is not JSON → 415 unsupported_media_type', async () => {
    const res = await signup('name=Bad+Input', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('a malformed or unknown Bearer token → 401 invalid_token; a forged cookie → 401 unauthenticated', async () => {
    for (const authorization of ['Bearer stl_forged', 'Basic abc', 'Bearer', 'Bearer not-our-format']) {
      const res = await new HttpClient(api.baseUrl).get('/v1/me', { authorization });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_token');
    }
    const forged = new HttpClient(api.baseUrl);
    forged.cookies.set('sid', 'forged-session');
    const res = await forged.get('/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('an unknown query parameter → 400; an unknown route → 404 route_not_found', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const res = await client.get('/v1/auth/tokens?foo=bar');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const missing = await client.get('/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('route_not_found');
  });
});

describe('rate limiting and logs', () => {
  it('limits sign-up and log-in attempts per client with 429 and Retry-After', async () => {
    const limited = await startTestApi({ AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW: '1m' });
    try {
      // Each test API instance shares the database; clear the counters this test relies on.
      await limited.deps.prisma.rateLimitHit.deleteMany({});
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 5; i += 1) {
        last = await new HttpClient(limited.baseUrl).post('/v1/auth/login', { email: uniqueEmail(), password: 'wrong password' });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect(last?.body.error.code).toBe('rate_limited');
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await limited.deps.prisma.rateLimitHit.deleteMany({});
      await limited.close();
    }
  });

  it('never logs passwords, cookies or tokens, and every request log line has a request id', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const { token } = (await client.post('/v1/auth/tokens', { name: 'log check' })).body;
    const sid = client.cookies.get('sid') as string;
    await new HttpClient(api.baseUrl).get('/v1/me', { authorization: `Bearer ${token}`, 'x-request-id': 'req-log-check' });
    // A query string can carry a token (unsubscribe and download links): the access log keeps the path only.
    await new HttpClient(api.baseUrl).get('/v1/unsubscribe?token=query-never-logged', { 'x-request-id': 'req-log-check' });
    const all = api.logLines.join('\n');
    expect(all).not.toContain('query-never-logged');
    expect(api.logLines.some((l) => l.includes('"path":"/v1/unsubscribe"'))).toBe(true);
    expect(all).not.toContain(TEST_PASSWORD);
    expect(all).not.toContain(token);
    expect(all).not.toContain(sid);
    const mine = api.logLines.filter((l) => l.includes('req-log-check'));
    expect(mine.length).toBeGreaterThan(0);
    for (const line of mine) expect(JSON.parse(line).requestId).toBe('req-log-check');
  });
});
