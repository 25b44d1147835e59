// Erasure over HTTP, on the dev server with a real worker: it needs a fresh
// proof; a second request joins the first; the user cancels in the grace
// period, and not after (409); nobody else can cancel it (404); bad input is a
// 4xx that changes nothing. A fresh proof lasts REAUTH_TTL.
import { randomUUID } from 'node:crypto';
import { HttpClient, reauth, signedUpClient, TEST_PASSWORD } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { waitFor } from '../helpers/wait';

// A grace period of 3 s, a fresh proof of 4 s: short enough to watch both end.
const stack = useExecutionStack({ ERASURE_GRACE: '3s', REAUTH_TTL: '4s', TEMPORAL_TASK_QUEUE: `erasure-routes-${randomUUID()}` });
const prisma = testPrisma();

it('needs a fresh proof of the account, which lasts REAUTH_TTL', async () => {
  const { client, user } = await signedUpClient(stack.api.baseUrl);
  const refused = await client.post('/v1/privacy/erasure');
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('reauthentication_required');
  await reauth(client);
  await new Promise((resolve) => setTimeout(resolve, 4_500));
  expect((await client.post('/v1/privacy/erasure')).body.error.code).toBe('reauthentication_required');
  expect(await prisma.privacyRequest.count({ where: { userId: user.id } })).toBe(0);
});

it('a second request joins the first; cancelled in the grace period nothing happens; nobody else can cancel', async () => {
  const { client, user } = await signedUpClient(stack.api.baseUrl);
  await reauth(client);
  const first = await client.post('/v1/privacy/erasure');
  expect(first.status).toBe(202);
  expect(Date.parse(first.body.dueAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
  const second = await client.post('/v1/privacy/erasure');
  expect(second.status).toBe(200);
  expect(second.body.requestId).toBe(first.body.requestId);
  expect((await client.get(`/v1/privacy/requests/${first.body.requestId}`)).body).toMatchObject({ type: 'erasure', status: 'pending', channel: 'api' });

  const other = await signedUpClient(stack.api.baseUrl);
  expect((await other.client.delete(`/v1/privacy/erasure/${first.body.requestId}`)).status).toBe(404);
  expect((await client.delete('/v1/privacy/erasure/not-a-uuid')).status).toBe(400);
  expect((await client.delete(`/v1/privacy/erasure/${randomUUID()}`)).status).toBe(404);

  expect((await client.delete(`/v1/privacy/erasure/${first.body.requestId}`)).status).toBe(204);
  await new Promise((resolve) => setTimeout(resolve, 4_000)); // past the grace period
  expect((await client.get('/v1/me')).status).toBe(200);
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: first.body.requestId } })).toMatchObject({ status: 'cancelled' });
  expect(await prisma.user.count({ where: { id: user.id } })).toBe(1);
});

it('after the grace period the erasure cannot be cancelled and the account is gone', async () => {
  const { client, user, email } = await signedUpClient(stack.api.baseUrl);
  await reauth(client);
  const requested = await client.post('/v1/privacy/erasure');
  expect(requested.status).toBe(202);
  await waitFor(async () => (await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.body.requestId } })).status !== 'pending', {
    what: 'the grace period to end',
    timeoutMs: 20_000,
  });
  const late = await client.delete(`/v1/privacy/erasure/${requested.body.requestId}`);
  // Signed out everywhere once erasing begins: the session is gone (401), and were it not, the answer is 409.
  expect([401, 409]).toContain(late.status);
  await waitFor(async () => (await prisma.user.count({ where: { id: user.id } })) === 0, { what: 'the account to be deleted', timeoutMs: 30_000 });
  expect((await new HttpClient(stack.api.baseUrl).post('/v1/auth/login', { email, password: TEST_PASSWORD })).status).toBe(401);
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.body.requestId } })).toMatchObject({ status: 'completed', userId: null });
});

it('signed out everywhere once erasing begins: an API token proven before it stops working too', async () => {
  const { client } = await signedUpClient(stack.api.baseUrl);
  const token = (await client.post('/v1/auth/tokens', { name: 'script' })).body.token as string;
  const script = new HttpClient(stack.api.baseUrl);
  script.bearer = token;
  await reauth(script);
  const requested = await script.post('/v1/privacy/erasure');
  expect(requested.status).toBe(202);
  await waitFor(async () => (await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.body.requestId } })).status !== 'pending', {
    what: 'the grace period to end',
    timeoutMs: 20_000,
  });
  expect((await script.get('/v1/me')).status).toBe(401);
});

it('the DPO opens an erasure for a user who asked by email; it joins one already open', async () => {
  const officer = await signedUpClient(stack.api.baseUrl, 'Officer');
  await prisma.user.update({ where: { id: officer.user.id }, data: { roles: ['user', 'dpo'] } });
  const { client, user } = await signedUpClient(stack.api.baseUrl);
  const opened = await officer.client.post('/v1/admin/privacy-requests', { userId: user.id, type: 'erasure', channel: 'email' });
  expect(opened.status).toBe(201);
  expect(opened.body).toMatchObject({ type: 'erasure', status: 'pending', channel: 'email', openedBy: `dpo:${officer.user.id}` });
  await reauth(client);
  const own = await client.post('/v1/privacy/erasure');
  expect(own.status).toBe(200);
  expect(own.body.requestId).toBe(opened.body.id);
  expect((await client.delete(`/v1/privacy/erasure/${opened.body.id}`)).status).toBe(204);
});

it('cancelling an erasure that has begun is 409 erasure_in_progress and changes nothing', async () => {
  const { client, user } = await signedUpClient(stack.api.baseUrl);
  await reauth(client);
  const requested = await client.post('/v1/privacy/erasure');
  // The moment the workflow begins, as the database records it (the session survives here, to ask).
  await prisma.privacyRequest.update({ where: { id: requested.body.requestId }, data: { status: 'running' } });
  const late = await client.delete(`/v1/privacy/erasure/${requested.body.requestId}`);
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('erasure_in_progress');
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.body.requestId } })).toMatchObject({ status: 'running' });
  await waitFor(async () => (await prisma.user.count({ where: { id: user.id } })) === 0, { what: 'the erasure to go on', timeoutMs: 30_000 });
});
