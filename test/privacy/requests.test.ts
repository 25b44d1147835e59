// Privacy requests: each is tracked with its due date; the user sees theirs and
// nobody else's; the DPO sees all, the overdue ones, and opens requests that
// arrived by email on a user's behalf. The fresh proof export and erasure need
// is given by the password again, on the session or token that asks.
import { HttpClient, reauth, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { grantRole } from '../helpers/accounts';

const api = useTestApi();
const prisma = testPrisma();
const DAY = 86_400_000;

async function dpo() {
  const staff = await signedUpClient(api.baseUrl, 'Data Protection Officer');
  await grantRole(prisma, staff.email, 'dpo');
  return staff;
}

describe('fresh proof of the account', () => {
  it('the password again marks the calling session as proven; a wrong one proves nothing', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const wrong = await client.post('/v1/auth/reauth', { password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
    expect(await prisma.session.findFirst({ where: { userId: user.id, provenAt: { not: null } } })).toBeNull();

    await reauth(client);
    const sessions = await prisma.session.findMany({ where: { userId: user.id } });
    expect(sessions.filter((s) => s.provenAt !== null)).toHaveLength(1);
  });

  it('a token proves itself, not the sessions of the account', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const created = await client.post('/v1/auth/tokens', { name: 'script' });
    const script = new HttpClient(api.baseUrl);
    script.bearer = created.body.token;
    await reauth(script);
    expect((await prisma.apiToken.findUniqueOrThrow({ where: { id: created.body.id } })).provenAt).not.toBeNull();
    expect(await prisma.session.findFirst({ where: { userId: user.id, provenAt: { not: null } } })).toBeNull();
  });

  it('bad input: no body, an unknown field, no sign-in', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    expect((await client.post('/v1/auth/reauth')).status).toBe(400);
    expect((await client.post('/v1/auth/reauth', { password: 'x', extra: 1 })).body.error.code).toBe('validation_failed');
    expect((await new HttpClient(api.baseUrl).post('/v1/auth/reauth', { password: 'x' })).status).toBe(401);
  });
});

describe('privacy requests', () => {
  it('the DPO opens a request that arrived by email; the user sees it with its due date, nobody else does', async () => {
    const officer = await dpo();
    const { client, user } = await signedUpClient(api.baseUrl);
    const before = Date.now();
    const opened = await officer.client.post('/v1/admin/privacy-requests', { userId: user.id, type: 'rectification', channel: 'email' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ type: 'rectification', status: 'pending', channel: 'email', userId: user.id, openedBy: `dpo:${officer.user.id}`, daysLeft: 30 });
    const due = Date.parse(opened.body.dueAt);
    expect(due - before).toBeGreaterThanOrEqual(30 * DAY - 1000);
    expect(due - Date.now()).toBeLessThanOrEqual(30 * DAY);

    const mine = await client.get('/v1/privacy/requests');
    expect(mine.body.items.map((r: { id: string }) => r.id)).toEqual([opened.body.id]);
    expect(mine.body.items[0]).not.toHaveProperty('openedBy');
    expect((await client.get(`/v1/privacy/requests/${opened.body.id}`)).body).toMatchObject({ id: opened.body.id, channel: 'email', completedAt: null });

    const other = await signedUpClient(api.baseUrl);
    expect((await other.client.get(`/v1/privacy/requests/${opened.body.id}`)).status).toBe(404);
    expect((await other.client.get('/v1/privacy/requests')).body.items).toEqual([]);

    const done = await officer.client.post(`/v1/admin/privacy-requests/${opened.body.id}/complete`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', daysLeft: null });
    const again = await officer.client.post(`/v1/admin/privacy-requests/${opened.body.id}/complete`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('the DPO lists the overdue and at-risk requests; closed ones are never overdue', async () => {
    const officer = await dpo();
    const { user } = await signedUpClient(api.baseUrl);
    const open = async () => (await officer.client.post('/v1/admin/privacy-requests', { userId: user.id, type: 'objection', channel: 'email' })).body.id as string;
    const [late, closedLate, onTime, risky] = [await open(), await open(), await open(), await open()];
    const past = new Date(Date.now() - DAY);
    await prisma.privacyRequest.updateMany({ where: { id: { in: [late, closedLate] } }, data: { dueAt: past } });
    await prisma.privacyRequest.update({ where: { id: closedLate }, data: { status: 'completed', completedAt: new Date() } });
    await prisma.privacyRequest.update({ where: { id: risky }, data: { atRiskAt: new Date() } });

    const ids = async (query: string) => {
      const res = await officer.client.get(`/v1/admin/privacy-requests?limit=100${query}`);
      expect(res.status).toBe(200);
      return (res.body.items as { id: string }[]).map((r) => r.id);
    };
    const overdue = await ids('&overdue=true');
    expect(overdue).toContain(late);
    expect(overdue).not.toContain(closedLate);
    expect(overdue).not.toContain(onTime);
    const lateRow = (await officer.client.get('/v1/admin/privacy-requests?overdue=true&limit=100')).body.items.find((r: { id: string }) => r.id === late);
    expect(lateRow.daysLeft).toBeLessThanOrEqual(-1);
    expect(await ids('&atRisk=true')).toEqual(expect.arrayContaining([risky]));
    expect(await ids('&atRisk=true')).not.toContain(onTime);
    expect(await ids('')).toEqual(expect.arrayContaining([late, closedLate, onTime, risky]));
  });

  it('bad input: not a DPO, an unknown user or type, another channel, a malformed id; nothing is recorded', async () => {
    const officer = await dpo();
    const { client, user } = await signedUpClient(api.baseUrl);
    const count = () => prisma.privacyRequest.count({ where: { userId: user.id } });

    expect((await client.get('/v1/admin/privacy-requests')).status).toBe(403);
    expect((await client.post('/v1/admin/privacy-requests', { userId: user.id, type: 'objection', channel: 'email' })).body.error.code).toBe('forbidden');
    const unknownUser = await officer.client.post('/v1/admin/privacy-requests', { userId: '00000000-0000-4000-8000-000000000000', type: 'objection', channel: 'email' });
    expect(unknownUser.status).toBe(404);
    for (const body of [
      { userId: user.id, type: 'deletion', channel: 'email' },
      { userId: user.id, type: 'objection', channel: 'phone' },
      { userId: 'not-a-uuid', type: 'objection', channel: 'email' },
      { userId: user.id, type: 'objection' },
    ]) {
      const res = await officer.client.post('/v1/admin/privacy-requests', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await officer.client.get('/v1/admin/privacy-requests?overdue=yes')).status).toBe(400);
    expect((await client.get('/v1/privacy/requests/not-a-uuid')).status).toBe(400);
    expect((await officer.client.post('/v1/admin/privacy-requests/00000000-0000-4000-8000-000000000000/complete')).status).toBe(404);
    expect(await count()).toBe(0);
  });
});
