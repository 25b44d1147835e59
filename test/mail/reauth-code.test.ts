// Fresh proof by a mailed code, over the real API, a real worker and real SMTP:
// POST /v1/auth/reauth/code mails a 6-digit code at once (its own workflow,
// `mail-<outbox id>`, not the next schedule tick); POST /v1/auth/reauth {code}
// proves the calling session or token once; a wrong, reused, replaced, expired
// or over-tried code proves nothing. The code is kept only as a keyed hash, and
// the outbox holds it sealed only until the mail is sent.
import { randomBytes } from 'node:crypto';
import { HttpClient, signedUpClient, startTestApi, TEST_PASSWORD, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeSmtp, type FakeSmtp, type CapturedMail } from '../fakes/smtp';
import { waitFor } from '../helpers/wait';
import { mailDeliveryWorkflowId } from '../../src/mail/contract';

const prisma = testPrisma();
let api: TestApi;
let worker: TestWorker;
let smtp: FakeSmtp;
beforeAll(async () => {
  smtp = await startFakeSmtp();
  api = await startTestApi({ TEMPORAL_TASK_QUEUE: `reauth-code-${randomBytes(6).toString('hex')}`, SMTP_URL: smtp.url });
  worker = await startTestWorker(api.deps.config);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await smtp?.close();
  await closeTestPrisma();
});

const codeIn = (mail: CapturedMail) => /confirmation code is (\d{6})/.exec(mail.raw)?.[1] as string;

/** Asks for a code on `client` and returns it as read from the mail (and the mail). */
async function mailedCode(client: HttpClient, email: string, already = smtp.messages.filter((m) => m.to.includes(email)).length) {
  const res = await client.post('/v1/auth/reauth/code');
  expect(res.status).toBe(202);
  const mail = await waitFor(async () => smtp.messages.filter((m) => m.to.includes(email))[already], { what: 'the code mail', timeoutMs: 20_000 });
  return { code: codeIn(mail), mail, res };
}

const provenSessions = (userId: string) => prisma.session.count({ where: { userId, provenAt: { not: null } } });

it('the code is mailed at once, proves the calling session once, and is kept only as a keyed hash', async () => {
  const { client, user, email } = await signedUpClient(api.baseUrl);
  const asked = Date.now();
  const res = await client.post('/v1/auth/reauth/code');
  expect(res.status).toBe(202);
  const expiresIn = Date.parse(res.body.expiresAt) - asked;
  expect(expiresIn).toBeGreaterThan(9 * 60_000);
  expect(expiresIn).toBeLessThanOrEqual(10 * 60_000 + 1000);
  const mail = await waitFor(async () => smtp.messages.find((m) => m.to.includes(email)), { what: 'the code mail', timeoutMs: 20_000 });
  const latencyMs = Date.now() - asked;
  console.log(`reauth code mail delivered ${latencyMs} ms after the request`);
  expect(latencyMs).toBeLessThan(10_000); // no schedule runs on this task queue: only the per-mail workflow sent it
  expect(mail.header('subject')).toBe('Your Sotally confirmation code');
  const code = codeIn(mail);
  expect(code).toMatch(/^\d{6}$/);

  // The outbox row: sent, its sealed code destroyed; the workflow that sent it carries only the row id.
  const row = await prisma.mailOutbox.findFirstOrThrow({ where: { userId: user.id, purpose: 'reauth_code' } });
  expect(row).toMatchObject({ sentAt: expect.any(Date), secretCiphertext: null });
  expect(mail.header('message-id')).toBe(`<${row.id}@outbox.sotally>`);
  const handle = api.deps.temporal.workflow.getHandle(mailDeliveryWorkflowId(row.id));
  expect(await handle.result()).toBe('sent');
  expect((await handle.describe()).type).toBe('deliverMailWorkflow');
  const stored = await prisma.reauthCode.findUniqueOrThrow({ where: { userId: user.id } });
  expect(stored.codeHmac).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(stored)).not.toContain(code);

  expect(await provenSessions(user.id)).toBe(0);
  expect((await client.post('/v1/auth/reauth', { code })).status).toBe(204);
  expect(await provenSessions(user.id)).toBe(1);
  expect(await prisma.reauthCode.count({ where: { userId: user.id } })).toBe(0); // used: gone

  // Used once: another session of the account cannot use it again.
  const other = new HttpClient(api.baseUrl);
  expect((await other.post('/v1/auth/login', { email, password: TEST_PASSWORD })).status).toBe(200);
  const reused = await other.post('/v1/auth/reauth', { code });
  expect(reused.status).toBe(401);
  expect(reused.body.error.code).toBe('reauth_code_expired');
  expect(await provenSessions(user.id)).toBe(1);
});

it('an API token asks for a code and proves itself with it', async () => {
  const { client, email } = await signedUpClient(api.baseUrl);
  const created = await client.post('/v1/auth/tokens', { name: 'script' });
  const script = new HttpClient(api.baseUrl);
  script.bearer = created.body.token;
  const { code } = await mailedCode(script, email);
  expect((await script.post('/v1/auth/reauth', { code })).status).toBe(204);
  expect((await prisma.apiToken.findUniqueOrThrow({ where: { id: created.body.id } })).provenAt).not.toBeNull();
});

it('a wrong code proves nothing and counts down; the 5th wrong try voids the code, even for the right one after', async () => {
  const { client, user, email } = await signedUpClient(api.baseUrl);
  const { code } = await mailedCode(client, email);
  const wrong = code === '000000' ? '000001' : '000000';
  for (const attemptsLeft of [4, 3, 2, 1, 0]) {
    const res = await client.post('/v1/auth/reauth', { code: wrong });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'reauth_code_invalid', details: { attemptsLeft } });
  }
  const late = await client.post('/v1/auth/reauth', { code });
  expect(late.status).toBe(401);
  expect(late.body.error.code).toBe('reauth_code_expired');
  expect(await provenSessions(user.id)).toBe(0);

  // A new code works again.
  const fresh = await mailedCode(client, email);
  expect((await client.post('/v1/auth/reauth', { code: fresh.code })).status).toBe(204);
});

it('a newer code replaces the earlier one', async () => {
  const { client, user, email } = await signedUpClient(api.baseUrl);
  const first = await mailedCode(client, email);
  const second = await mailedCode(client, email);
  if (first.code !== second.code) {
    const res = await client.post('/v1/auth/reauth', { code: first.code });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('reauth_code_invalid');
    expect(await provenSessions(user.id)).toBe(0);
  }
  expect((await client.post('/v1/auth/reauth', { code: second.code })).status).toBe(204);
});

it('an expired code proves nothing; without any code asked, a code proves nothing', async () => {
  const quick = await startTestApi({ TEMPORAL_TASK_QUEUE: api.deps.config.TEMPORAL_TASK_QUEUE, SMTP_URL: smtp.url, REAUTH_CODE_TTL: '1s' });
  try {
    const { client, user, email } = await signedUpClient(quick.baseUrl);
    const never = await client.post('/v1/auth/reauth', { code: '123456' });
    expect(never.status).toBe(401);
    expect(never.body.error.code).toBe('reauth_code_expired');

    const { code } = await mailedCode(client, email);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const res = await client.post('/v1/auth/reauth', { code });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('reauth_code_expired');
    expect(await provenSessions(user.id)).toBe(0);
  } finally {
    await quick.close();
  }
});

it.each([
  ['no field', {}],
  ['both a password and a code', { password: TEST_PASSWORD, code: '123456' }],
  ['a code of 5 digits', { code: '12345' }],
  ['a code of 7 digits', { code: '1234567' }],
  ['a code with letters', { code: '12a456' }],
  ['a code as a number', { code: 123456 }],
  ['an empty password', { password: '' }],
  ['an unknown field', { code: '123456', remember: true }],
])('bad input to POST /v1/auth/reauth (%s): 400 validation_failed, nothing proven', async (_, body) => {
  const { client, user } = await signedUpClient(api.baseUrl);
  const res = await client.post('/v1/auth/reauth', body);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('validation_failed');
  expect(await provenSessions(user.id)).toBe(0);
});

it('asking for a code needs a signed-in caller and no body, and is limited per user', async () => {
  expect((await new HttpClient(api.baseUrl).post('/v1/auth/reauth/code')).body.error.code).toBe('unauthenticated');
  const { client, user } = await signedUpClient(api.baseUrl);
  expect((await client.post('/v1/auth/reauth/code', { email: 'attacker@example.test' })).body.error.code).toBe('unexpected_body');
  expect(await prisma.mailOutbox.count({ where: { userId: user.id } })).toBe(0);

  const limited = await startTestApi({ TEMPORAL_TASK_QUEUE: api.deps.config.TEMPORAL_TASK_QUEUE, SMTP_URL: smtp.url, REAUTH_CODE_RATE_LIMIT_MAX: '2' });
  try {
    const account = await signedUpClient(limited.baseUrl);
    expect((await account.client.post('/v1/auth/reauth/code')).status).toBe(202);
    expect((await account.client.post('/v1/auth/reauth/code')).status).toBe(202);
    const third = await account.client.post('/v1/auth/reauth/code');
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(await prisma.mailOutbox.count({ where: { userId: account.user.id } })).toBe(2);
  } finally {
    await limited.close();
  }
});
