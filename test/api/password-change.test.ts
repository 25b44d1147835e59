// PUT /v1/me/password over the real API, on a database of its own (the alert
// sender reads every queued event): the right current password changes it,
// signs out every other session (the caller's stays), leaves API tokens working,
// and mails one "password changed" alert; a wrong current password or a bad new
// one changes nothing; attempts are rate-limited per user.
import { randomBytes } from 'node:crypto';
import { HttpClient, startTestApi, TEST_PASSWORD } from '../helpers/api';
import { useIsolatedMailStack } from '../helpers/lifecycle';
import { uniqueEmail } from '../helpers/env';

const NEW_PASSWORD = 'a new and rather longer passphrase';

const { api, smtp, prisma, databaseUrl, sendAlerts } = useIsolatedMailStack('password_change');

/** An account with two signed-in sessions (say a laptop and a phone) and an API token. */
async function accountWithTwoSessions(baseUrl = api.baseUrl) {
  const email = uniqueEmail('password');
  const laptop = new HttpClient(baseUrl);
  const signup = await laptop.post('/v1/auth/signup', { name: 'Changer', email, password: TEST_PASSWORD });
  expect(signup.status).toBe(201);
  const phone = new HttpClient(baseUrl);
  expect((await phone.post('/v1/auth/login', { email, password: TEST_PASSWORD })).status).toBe(200);
  const token = await laptop.post('/v1/auth/tokens', { name: 'script' });
  const script = new HttpClient(baseUrl);
  script.bearer = token.body.token;
  return { id: signup.body.user.id as string, email, laptop, phone, script };
}

const logIn = (email: string, password: string) => new HttpClient(api.baseUrl).post('/v1/auth/login', { email, password });
const passwordEvents = (userId: string) => prisma.securityEvent.count({ where: { userId, type: 'password_changed' } });


it('the right current password changes it: other sessions are signed out, the caller stays in, tokens work, one alert is mailed', async () => {
  const account = await accountWithTwoSessions();
  const res = await account.laptop.put('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
  expect(res.status).toBe(204);
  expect(res.text).toBe('');

  expect((await account.laptop.get('/v1/me')).status).toBe(200);
  expect((await account.phone.get('/v1/me')).status).toBe(401);
  expect((await account.script.get('/v1/me')).status).toBe(200);
  expect((await logIn(account.email, TEST_PASSWORD)).status).toBe(401);
  expect((await logIn(account.email, NEW_PASSWORD)).status).toBe(200);

  expect(await passwordEvents(account.id)).toBe(1);
  await sendAlerts();
  await sendAlerts();
  const mails = smtp.messages.filter((m) => m.to.includes(account.email));
  const changed = mails.filter((m) => m.header('subject') === 'Your Sotally password was changed');
  expect(changed).toHaveLength(1);
  expect(changed[0]!.raw).not.toContain(NEW_PASSWORD);
});

it('with an API token the change signs out every session, and the token keeps working', async () => {
  const account = await accountWithTwoSessions();
  expect((await account.script.put('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);
  expect((await account.laptop.get('/v1/me')).status).toBe(401);
  expect((await account.phone.get('/v1/me')).status).toBe(401);
  expect((await account.script.get('/v1/me')).status).toBe(200);
});

it('a wrong current password is refused and changes nothing', async () => {
  const account = await accountWithTwoSessions();
  const res = await account.laptop.put('/v1/me/password', { currentPassword: 'not the password at all', newPassword: NEW_PASSWORD });
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('invalid_credentials');
  expect((await account.laptop.get('/v1/me')).status).toBe(200); // the caller is still signed in
  expect((await account.phone.get('/v1/me')).status).toBe(200);
  expect((await logIn(account.email, TEST_PASSWORD)).status).toBe(200);
  expect((await logIn(account.email, NEW_PASSWORD)).status).toBe(401);
  expect(await passwordEvents(account.id)).toBe(0);
});

it.each([
  ['a new password that is too short', { currentPassword: TEST_PASSWORD, newPassword: 'short9chr' }],
  ['a new password that is too long', { currentPassword: TEST_PASSWORD, newPassword: 'x'.repeat(201) }],
  ['no new password', { currentPassword: TEST_PASSWORD }],
  ['no current password', { newPassword: NEW_PASSWORD }],
  ['an empty current password', { currentPassword: '', newPassword: NEW_PASSWORD }],
  ['an unknown field', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD, password: NEW_PASSWORD }],
  ['a number as the new password', { currentPassword: TEST_PASSWORD, newPassword: 12345678901 }],
])('%s: 400 validation_failed, nothing changed', async (_, body) => {
  const account = await accountWithTwoSessions();
  const res = await account.laptop.put('/v1/me/password', body);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  expect((await account.phone.get('/v1/me')).status).toBe(200);
  expect((await logIn(account.email, TEST_PASSWORD)).status).toBe(200);
  expect(await passwordEvents(account.id)).toBe(0);
});

it('no body or no sign-in is refused', async () => {
  const account = await accountWithTwoSessions();
  expect((await account.laptop.put('/v1/me/password')).body.error.code).toBe('body_required');
  const anonymous = await new HttpClient(api.baseUrl).put('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error.code).toBe('unauthenticated');
});

it('attempts are limited per user like log-in: past the limit 429, even with the right password', async () => {
  // Its own counters (another key), so the other tests' sign-ups and log-ins on this database do not count here.
  const limited = await startTestApi({ DATABASE_URL: databaseUrl(), AUTH_RATE_LIMIT_MAX: '2', RATE_LIMIT_KEY_SECRET: randomBytes(32).toString('base64') });
  try {
    const account = await accountWithTwoSessions(limited.baseUrl);
    for (let i = 0; i < 2; i += 1) {
      expect((await account.laptop.put('/v1/me/password', { currentPassword: 'a wrong guess', newPassword: NEW_PASSWORD })).status).toBe(401);
    }
    const third = await account.laptop.put('/v1/me/password', { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(await passwordEvents(account.id)).toBe(0);
  } finally {
    await limited.close();
  }
});
