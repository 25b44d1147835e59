// Authentication remembers credentials for AUTH_CACHE_TTL (here an hour, so nothing below can
// pass by expiry), and revocation is still immediate: in the process that revoked, at the very
// next request; in every other process, as soon as Postgres's announcement arrives (milliseconds;
// the tests allow 2 s). While announcements are lost, nothing is remembered. Two API processes
// share one database, as replicas do.
import { randomBytes, randomUUID } from 'node:crypto';
import { rolesCommand } from '../../scripts/roles';
import { createCredentialCache } from '../../src/api/credential-cache';
import { HttpClient, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { eventually } from '../helpers/wait';

const prisma = testPrisma();
const CACHED = { AUTH_CACHE_SIZE: '1000', AUTH_CACHE_TTL: '1h' };
const a = useTestApi(CACHED);
const b = useTestApi(CACHED);

beforeAll(async () => {
  for (const api of [a, b]) await eventually(async () => api.deps.credentials!.listening, 'the cache listens', 10_000);
});

/** A user with a token, remembered by both processes. */
async function tokenOnBoth() {
  const { client, user, email } = await signedUpClient(a.baseUrl);
  const created = (await client.post('/v1/auth/tokens', { name: 'cache' })).body as { id: string; token: string };
  const on = (api: typeof a) => {
    const c = new HttpClient(api.baseUrl);
    c.bearer = created.token;
    return c;
  };
  const [viaA, viaB] = [on(a), on(b)];
  expect((await viaA.get('/v1/credits')).status).toBe(200);
  expect((await viaB.get('/v1/credits')).status).toBe(200);
  return { client, user, email, tokenId: created.id, viaA, viaB };
}

/** Changes rows the way a bug or a restore could, without the triggers: nothing is announced. */
async function silently(sql: string, ...values: unknown[]) {
  await prisma.$transaction([prisma.$executeRawUnsafe('SET LOCAL session_replication_role = replica'), prisma.$executeRawUnsafe(sql, ...values)]);
}

it('remembers a token: a change Postgres does not announce is not seen, so the memory is really used', async () => {
  const { user, viaA } = await tokenOnBoth();
  await silently('UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1::uuid', user.id);
  expect((await viaA.get('/v1/credits')).status).toBe(200);
});

it('a token revoked through one process is refused by that process at the next request, and by the other at once', async () => {
  const { client, tokenId, viaA, viaB } = await tokenOnBoth();
  expect((await client.delete(`/v1/auth/tokens/${tokenId}`)).status).toBe(204);
  expect((await viaA.get('/v1/credits')).status).toBe(401);
  await eventually(async () => (await viaB.get('/v1/credits')).status === 401, 'the other process refuses the revoked token');
});

it('a token revoked outside the API (an erasure in the worker, an operator) is refused by every process', async () => {
  const { user, viaA, viaB } = await tokenOnBoth();
  await prisma.apiToken.deleteMany({ where: { userId: user.id } });
  for (const via of [viaA, viaB]) await eventually(async () => (await via.get('/v1/credits')).status === 401, 'the deleted token is refused');
});

it('a session logged out is refused at the next request', async () => {
  const { client } = await signedUpClient(a.baseUrl);
  const stolen = new HttpClient(a.baseUrl);
  stolen.cookies = new Map(client.cookies);
  expect((await stolen.get('/v1/me')).status).toBe(200);
  expect((await client.post('/v1/auth/logout')).status).toBe(204);
  expect((await stolen.get('/v1/me')).status).toBe(401);
});

it('a role granted and revoked by the operator command reaches every process', async () => {
  const { email, viaA, viaB } = await tokenOnBoth();
  const support = `/v1/support/users/${randomUUID()}/executions`;
  const headers = { 'X-Access-Reason': 'cache test' };
  expect((await viaB.get(support, headers)).status).toBe(403);
  await rolesCommand(prisma, ['grant', email, 'support', '--reason', 'cache test'], 'cli:test');
  for (const via of [viaA, viaB]) await eventually(async () => (await via.get(support, headers)).status === 404, 'the granted role is seen');
  await rolesCommand(prisma, ['revoke', email, 'support', '--reason', 'cache test'], 'cli:test');
  for (const via of [viaA, viaB]) await eventually(async () => (await via.get(support, headers)).status === 403, 'the revoked role is refused');
});

it('while announcements are lost nothing is remembered, and listening resumes by itself', async () => {
  const { user, viaB } = await tokenOnBoth();
  const cache = b.deps.credentials!;
  expect(cache.size).toBeGreaterThan(0);
  await prisma.$queryRawUnsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN sotally_credentials' AND datname = current_database()`);
  await eventually(async () => !cache.listening, 'the lost connection is noticed');
  expect(cache.size).toBe(0);
  // A change nobody announces is still seen: every request reads Postgres meanwhile.
  expect((await viaB.get('/v1/credits')).status).toBe(200);
  await silently('UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1::uuid', user.id);
  if (!cache.listening) expect((await viaB.get('/v1/credits')).status).toBe(401);
  await eventually(async () => cache.listening, 'listening again', 10_000);
});

it('never remembers unknown tokens, and keeps at most AUTH_CACHE_SIZE entries', async () => {
  const cache = a.deps.credentials!;
  const before = cache.size;
  for (let i = 0; i < 30; i += 1) {
    const guess = new HttpClient(a.baseUrl);
    guess.bearer = `stl_${randomBytes(24).toString('base64url')}`;
    expect((await guess.get('/v1/credits')).status).toBe(401);
  }
  expect(cache.size).toBe(before);
  expect(cache.size).toBeLessThanOrEqual(1000);
});

describe('the memory itself', () => {
  const userId = randomUUID();
  let loads = 0;
  const load = async () => {
    loads += 1;
    return { user_id: userId };
  };

  it('a write by the user forgets them when it ends, and nothing of theirs is remembered while it runs', async () => {
    const cache = createCredentialCache({ databaseUrl: a.deps.config.DATABASE_URL, ttlMs: 3_600_000, maxEntries: 2, logger: a.deps.logger });
    try {
      await eventually(async () => cache.listening, 'the cache listens', 10_000);
      loads = 0;
      await cache.read('k1', load);
      await cache.read('k1', load);
      expect(loads).toBe(1);
      const end = cache.beginWrite(userId);
      await cache.read('k1', load); // still remembered: the write has not ended
      await cache.read('k2', load); // read during the write: not remembered
      await cache.read('k2', load);
      expect(loads).toBe(3);
      end();
      await cache.read('k1', load);
      expect(loads).toBe(4);
      // At most maxEntries: a third key pushes the oldest out.
      await cache.read('k2', load);
      await cache.read('k3', load);
      expect(cache.size).toBe(2);
    } finally {
      await cache.close();
    }
  });

  it('a read that started before a change was announced does not remember its answer', async () => {
    const cache = createCredentialCache({ databaseUrl: a.deps.config.DATABASE_URL, ttlMs: 3_600_000, maxEntries: 10, logger: a.deps.logger });
    try {
      await eventually(async () => cache.listening, 'the cache listens', 10_000);
      let release!: () => void;
      const slow = cache.read('k', () => new Promise<{ user_id: string }>((resolve) => (release = () => resolve({ user_id: userId }))));
      await prisma.$executeRawUnsafe(`SELECT pg_notify('sotally_credentials', $1)`, userId);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the announcement arrives while the read waits
      release();
      await slow;
      expect(cache.size).toBe(0);
    } finally {
      await cache.close();
    }
  });
});
