// "All sensitive data is encrypted at rest": a profile written through the API
// is nowhere in clear in Postgres, and the account is still found by email
// (log-in, uniqueness, email change, operator commands) through the blind index.
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { HttpClient, TEST_PASSWORD } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { grantRole } from '../helpers/accounts';

const api = useTestApi();
const prisma = testPrisma();

/** Every column of the user's row and of every row naming them, as text. */
async function rowsText(userId: string): Promise<string> {
  const pg = new PgClient({ connectionString: api.deps.config.DATABASE_URL });
  await pg.connect();
  try {
    const users = await pg.query('SELECT u::text AS row FROM users u WHERE id = $1', [userId]);
    const keys = await pg.query('SELECT k::text AS row FROM user_keys k WHERE user_id = $1', [userId]);
    return [...users.rows, ...keys.rows].map((r: { row: string }) => r.row).join('\n');
  } finally {
    await pg.end();
  }
}

it('name, email and avatar are stored only as ciphertext; the API still shows them to their owner', async () => {
  const marker = randomUUID().slice(0, 8);
  const email = `ada-${marker}@example.test`;
  const name = `Ada Lovelace ${marker}`;
  const avatarUrl = `https://img.example/${marker}.png`;
  const client = new HttpClient(api.baseUrl);
  const signup = await client.post('/v1/auth/signup', { name, email, password: TEST_PASSWORD, avatarUrl });
  expect(signup.status).toBe(201);
  const userId = signup.body.user.id as string;

  const text = await rowsText(userId);
  expect(text).not.toContain(marker);
  expect(text.toLowerCase()).not.toContain(Buffer.from(marker).toString('hex'));
  const row = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  expect(row).toMatchObject({ name: null, email: null, avatarUrl: null, emailIndex: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(row.nameCiphertext && row.emailCiphertext && row.avatarCiphertext).toBeTruthy();

  expect((await client.get('/v1/me')).body).toMatchObject({ id: userId, name, email, avatarUrl });
});

it('log-in and uniqueness go through the blind index, whatever the case of the address', async () => {
  const email = `grace-${randomUUID().slice(0, 8)}@example.test`;
  const client = new HttpClient(api.baseUrl);
  expect((await client.post('/v1/auth/signup', { name: 'Grace', email, password: TEST_PASSWORD })).status).toBe(201);

  const again = await new HttpClient(api.baseUrl).post('/v1/auth/signup', { name: 'Impostor', email: email.toUpperCase(), password: TEST_PASSWORD });
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('email_taken');

  const login = await new HttpClient(api.baseUrl).post('/v1/auth/login', { email: email.toUpperCase(), password: TEST_PASSWORD });
  expect(login.status).toBe(200);
  expect(login.body.user.email).toBe(email);
  expect((await new HttpClient(api.baseUrl).post('/v1/auth/login', { email, password: 'wrong password entirely' })).status).toBe(401);

  // Operator commands find the account by email too.
  expect(await grantRole(prisma, email.toUpperCase(), 'support')).toContain('support');
});

it('an email change moves the index: the new address logs in, the old one no longer does, and a taken one is refused', async () => {
  const oldEmail = `old-${randomUUID().slice(0, 8)}@example.test`;
  const newEmail = `new-${randomUUID().slice(0, 8)}@example.test`;
  const client = new HttpClient(api.baseUrl);
  await client.post('/v1/auth/signup', { name: 'Mover', email: oldEmail, password: TEST_PASSWORD });
  const other = `taken-${randomUUID().slice(0, 8)}@example.test`;
  await new HttpClient(api.baseUrl).post('/v1/auth/signup', { name: 'Other', email: other, password: TEST_PASSWORD });

  const taken = await client.patch('/v1/me', { email: other });
  expect(taken.status).toBe(409);
  expect(taken.body.error.code).toBe('email_taken');

  const moved = await client.patch('/v1/me', { email: newEmail, name: 'Moved' });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ email: newEmail, name: 'Moved' });
  expect((await new HttpClient(api.baseUrl).post('/v1/auth/login', { email: newEmail, password: TEST_PASSWORD })).status).toBe(200);
  expect((await new HttpClient(api.baseUrl).post('/v1/auth/login', { email: oldEmail, password: TEST_PASSWORD })).status).toBe(401);
  expect(await rowsText(moved.body.id)).not.toContain(newEmail);
});
