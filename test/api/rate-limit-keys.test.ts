// Rate-limit keys (SPEC, retention table: "keyed HMAC, never a plain hash of an
// IP"). An unsalted hash of an IPv4 address is reversed by trying all 2^32 of
// them in seconds; a keyed HMAC cannot be computed without the secret.
// Each API below trusts one proxy hop, so X-Forwarded-For sets the client IP:
// a random documentation address per run, whose rows no other test writes.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { HttpClient, startTestApi, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma, uniqueEmail } from '../helpers/env';

const prisma = testPrisma();
const ip = `198.51.100.${randomInt(1, 255)}`;
const secretA = randomBytes(32).toString('base64');
const secretB = randomBytes(32).toString('base64');
// Distinct windows (6 and 7 days, far longer than any other test's) tell this file's rows apart.
const WINDOW_A = 6 * 86_400_000;
const WINDOW_B = 7 * 86_400_000;
const apis: TestApi[] = [];

async function api(secret: string, windowMs: number): Promise<TestApi> {
  const started = await startTestApi({ RATE_LIMIT_KEY_SECRET: secret, TRUST_PROXY: 'true', AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: `${windowMs}ms` });
  apis.push(started);
  return started;
}

const logIn = (target: TestApi) =>
  new HttpClient(target.baseUrl).post('/v1/auth/login', { email: uniqueEmail(), password: 'not the password' }, { 'x-forwarded-for': ip });

/** The row whose window is `windowMs` long, i.e. the one the API with that window wrote. */
async function rowOfWindow(windowMs: number) {
  const rows = await prisma.$queryRaw<{ key: string; hits: number }[]>`
    SELECT key, hits FROM rate_limit_hits
     WHERE reset_at BETWEEN now() + ${windowMs - 3_600_000} * interval '1 millisecond' AND now() + ${windowMs} * interval '1 millisecond'`;
  expect(rows).toHaveLength(1);
  return rows[0] as { key: string; hits: number };
}

/** Every plain (unkeyed) digest of the address, with and without the limiter's name, in the usual encodings. */
function plainDigests(): string[] {
  const inputs = [ip, `login:${ip}`, `signup:${ip}`, `::ffff:${ip}`, `login:::ffff:${ip}`];
  return inputs.flatMap((input) =>
    ['md5', 'sha1', 'sha256', 'sha512'].flatMap((algorithm) => {
      const digest = createHash(algorithm).update(input).digest();
      return [digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
    }),
  );
}

// This file's rows only: their windows end days from now.
afterEach(() => prisma.$executeRaw`DELETE FROM rate_limit_hits WHERE reset_at > now() + interval '5 days'`);

afterAll(async () => {
  for (const started of apis) await started.close();
  await closeTestPrisma();
});

it('the stored key is no plain hash of the client IP, and another secret gives another key', async () => {
  const a = await api(secretA, WINDOW_A);
  const b = await api(secretB, WINDOW_B);
  expect((await logIn(a)).status).toBe(401);
  expect((await logIn(b)).status).toBe(401);

  const plain = plainDigests();
  const isPlain = (key: string) => ({ key, plainDigestOfTheIp: plain.includes(key) });
  const rowA = await rowOfWindow(WINDOW_A);
  expect(isPlain(rowA.key)).toEqual({ key: rowA.key, plainDigestOfTheIp: false });
  const rowB = await rowOfWindow(WINDOW_B);
  expect(isPlain(rowB.key)).toEqual({ key: rowB.key, plainDigestOfTheIp: false });
  const keys = (await prisma.rateLimitHit.findMany({ select: { key: true } })).map((r) => r.key);
  expect(keys.filter((key) => plain.includes(key))).toEqual([]);
  // The same client and limiter under two secrets: two keys, so neither can be computed without its secret.
  expect(rowA.key).not.toBe(rowB.key);
});

it('replicas sharing the secret share the counter: the limit holds across them', async () => {
  const a1 = await api(secretA, WINDOW_A);
  const a2 = await api(secretA, WINDOW_A);
  const other = await api(secretB, WINDOW_B);
  expect((await logIn(a1)).status).toBe(401);
  expect((await logIn(a2)).status).toBe(401);
  const third = await logIn(a1);
  expect(third.status).toBe(429); // AUTH_RATE_LIMIT_MAX is 2, counted over both replicas
  expect(third.body.error.code).toBe('rate_limited');
  expect((await rowOfWindow(WINDOW_A)).hits).toBe(3);
  // A replica with another secret counts apart (which is why every replica must share it).
  expect((await logIn(other)).status).toBe(401);
  expect((await rowOfWindow(WINDOW_B)).hits).toBe(1);
});
