// Consent, the cookie preference, restriction and objections through the real
// HTTP API: each takes effect at once (GET /v1/me and processingAllowed say so
// on the next request), each change is in the consent history with its time and
// source, restriction and objections are completed privacy requests, and bad
// input changes nothing.
import { HttpClient, signedUpClient, TEST_PASSWORD } from '../helpers/api';
import { testPrisma, uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { eligibleWhere, processingAllowed, PROCESSING_PURPOSES } from '../../src/consent/processing';
import { createUser } from '../helpers/accounts';

const api = useTestApi();
const prisma = testPrisma();

const history = (userId: string) => prisma.consentEvent.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
const stored = (userId: string) => prisma.user.findUniqueOrThrow({ where: { id: userId } });

it('GET /v1/me shows the privacy block and the cookie preference; a new account restricts nothing and objects to nothing', async () => {
  const { client } = await signedUpClient(api.baseUrl);
  const me = await client.get('/v1/me');
  expect(me.status).toBe(200);
  expect(me.body).toMatchObject({
    consents: { marketing: false },
    cookiePreferences: { analytics: false },
    privacy: { restricted: false, objections: { analytics: false, creatorSharing: false, marketing: false } },
  });
});

it('marketing consent given at sign-up, then withdrawn and given again in settings: each change in the history with time and source', async () => {
  const client = new HttpClient(api.baseUrl);
  const before = Date.now();
  const signup = await client.post('/v1/auth/signup', { name: 'Consenting', email: uniqueEmail('consent'), password: TEST_PASSWORD, marketingConsent: true });
  expect(signup.status).toBe(201);
  const userId = signup.body.user.id as string;
  expect(signup.body.user.consents).toEqual({ marketing: true });

  expect((await client.put('/v1/me/consents', { marketing: false })).body).toEqual({ marketing: false });
  expect((await client.put('/v1/me/consents', { marketing: false })).status).toBe(200); // no change: no history row
  expect((await client.put('/v1/me/consents', { marketing: true })).body).toEqual({ marketing: true });
  expect((await client.get('/v1/me')).body.consents).toEqual({ marketing: true });

  const events = await history(userId);
  expect(events.map((e) => [e.purpose, e.granted, e.source])).toEqual([
    ['marketing', true, 'signup'],
    ['marketing', false, 'settings'],
    ['marketing', true, 'settings'],
  ]);
  for (const e of events) {
    expect(e.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(e.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  }
});

it('the analytics cookie preference is stored, shown by GET /v1/me, and recorded in the history', async () => {
  const { client, user } = await signedUpClient(api.baseUrl);
  expect((await client.put('/v1/me/cookie-preferences', { analytics: true })).body).toEqual({ analytics: true });
  expect((await client.get('/v1/me')).body.cookiePreferences).toEqual({ analytics: true });
  expect((await history(user.id)).map((e) => [e.purpose, e.granted, e.source])).toEqual([['analytics_cookies', true, 'settings']]);
});

it('restriction takes effect at once: GET /v1/me shows it, processingAllowed refuses every purpose, and a completed restriction request records it', async () => {
  const { client, user } = await signedUpClient(api.baseUrl);
  await client.put('/v1/me/consents', { marketing: true });
  expect(processingAllowed(await stored(user.id), 'marketing')).toBe(true);

  const res = await client.put('/v1/privacy/restriction', { restricted: true });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ restricted: true, objections: { analytics: false, creatorSharing: false, marketing: false }, requestId: expect.any(String) });
  expect((await client.get('/v1/me')).body.privacy.restricted).toBe(true);
  const row = await stored(user.id);
  for (const purpose of ['analytics', 'creatorSharing', 'marketing'] as const) expect(processingAllowed(row, purpose)).toBe(false);

  const request = await client.get(`/v1/privacy/requests/${res.body.requestId}`);
  expect(request.body).toMatchObject({ type: 'restriction', status: 'completed', channel: 'api', completedAt: expect.any(String), daysLeft: null });

  // Lifting it: processing is allowed again, and that is a request too.
  const lifted = await client.put('/v1/privacy/restriction', { restricted: false });
  expect(lifted.body.restricted).toBe(false);
  expect(processingAllowed(await stored(user.id), 'marketing')).toBe(true);
  const requests = await client.get('/v1/privacy/requests');
  expect(requests.body.items.filter((r: { type: string }) => r.type === 'restriction')).toHaveLength(2);
  expect((await history(user.id)).filter((e) => e.purpose === 'restriction').map((e) => [e.granted, e.source])).toEqual([
    [true, 'settings'],
    [false, 'settings'],
  ]);
});

it('objections per purpose take effect at once; purposes left out stay as they are; each is in the history and an objection request', async () => {
  const { client, user } = await signedUpClient(api.baseUrl);
  await client.put('/v1/me/consents', { marketing: true });

  const first = await client.put('/v1/privacy/objections', { analytics: true, marketing: true });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ restricted: false, objections: { analytics: true, creatorSharing: false, marketing: true } });
  let row = await stored(user.id);
  expect([processingAllowed(row, 'analytics'), processingAllowed(row, 'creatorSharing'), processingAllowed(row, 'marketing')]).toEqual([false, true, false]);

  const second = await client.put('/v1/privacy/objections', { creatorSharing: true, marketing: false });
  expect(second.body.objections).toEqual({ analytics: true, creatorSharing: true, marketing: false });
  expect((await client.get('/v1/me')).body.privacy.objections).toEqual({ analytics: true, creatorSharing: true, marketing: false });
  row = await stored(user.id);
  expect([processingAllowed(row, 'analytics'), processingAllowed(row, 'creatorSharing'), processingAllowed(row, 'marketing')]).toEqual([false, false, true]);

  const objections = (await history(user.id)).filter((e) => e.purpose.startsWith('objection_'));
  expect(objections.map((e) => [e.purpose, e.granted, e.source]).sort()).toEqual(
    [
      ['objection_analytics', true, 'settings'],
      ['objection_marketing', true, 'settings'],
      ['objection_creator_sharing', true, 'settings'],
      ['objection_marketing', false, 'settings'],
    ].sort(),
  );
  const request = await prisma.privacyRequest.findUniqueOrThrow({ where: { id: second.body.requestId } });
  expect(request).toMatchObject({ type: 'objection', status: 'completed', userId: user.id, details: { creatorSharing: true, marketing: false } });
});

it('marketing needs consent: without it processingAllowed says no, whatever else', async () => {
  const { user } = await signedUpClient(api.baseUrl);
  expect(processingAllowed(await stored(user.id), 'marketing')).toBe(false);
  expect(processingAllowed(await stored(user.id), 'analytics')).toBe(true);
});

describe('bad input changes nothing', () => {
  it.each([
    ['PUT', '/v1/privacy/restriction', {}, 'validation_failed'],
    ['PUT', '/v1/privacy/restriction', { restricted: 'yes' }, 'validation_failed'],
    ['PUT', '/v1/privacy/restriction', { restricted: true, extra: 1 }, 'validation_failed'],
    ['PUT', '/v1/privacy/objections', {}, 'validation_failed'],
    ['PUT', '/v1/privacy/objections', { analytics: 1 }, 'validation_failed'],
    ['PUT', '/v1/privacy/objections', { sharing: true }, 'validation_failed'],
    ['PUT', '/v1/privacy/restriction', 'restricted=true', 'unsupported_media_type'],
    ['PUT', '/v1/me/consents', { marketing: null }, 'validation_failed'],
    ['PUT', '/v1/me/cookie-preferences', { analytics: 'true' }, 'validation_failed'],
  ] as const)('%s %s %j → 4xx %s', async (method, path, body, code) => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const headers: Record<string, string> = typeof body === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
    const res = await client.request(method, path, body, headers);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error.code).toBe(code);
    expect(await history(user.id)).toHaveLength(0);
    expect(await prisma.privacyRequest.count({ where: { userId: user.id } })).toBe(0);
    expect((await client.get('/v1/me')).body.privacy).toEqual({ restricted: false, objections: { analytics: false, creatorSharing: false, marketing: false } });
  });

  it('signed out: 401, and a cookie without the CSRF header: 403, nothing changed', async () => {
    expect((await new HttpClient(api.baseUrl).put('/v1/privacy/restriction', { restricted: true })).status).toBe(401);
    const { client, user } = await signedUpClient(api.baseUrl);
    client.sendCsrf = false;
    const res = await client.put('/v1/privacy/objections', { marketing: true });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf_token_invalid');
    expect((await stored(user.id)).objectsToMarketing).toBe(false);
  });
});

it('processingAllowed and its SQL form (eligibleWhere) agree on every combination of consent, restriction and objections', async () => {
  const flags = ['marketingConsent', 'restricted', 'objectsToAnalytics', 'objectsToCreatorSharing', 'objectsToMarketing'] as const;
  const ids: string[] = [];
  for (let combo = 0; combo < 2 ** flags.length; combo += 1) {
    const id = await createUser(prisma, 'Combination');
    await prisma.user.update({ where: { id }, data: Object.fromEntries(flags.map((flag, bit) => [flag, Boolean(combo & (1 << bit))])) });
    ids.push(id);
  }
  const rows = await prisma.user.findMany({ where: { id: { in: ids } } });
  for (const purpose of PROCESSING_PURPOSES) {
    const selected = await prisma.user.findMany({ where: { AND: [eligibleWhere(purpose), { id: { in: ids } }] }, select: { id: true } });
    const expected = rows.filter((row) => processingAllowed(row, purpose)).map((row) => row.id);
    expect(selected.map((row) => row.id).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  }
});
