// Incidents over HTTP (API.md "Staff"), on the dev server with a real worker, a
// database of the file's own and a local SMTP server: only incident responders
// start and steer an incident (the DPO reads it and confirms reports); bad input
// is a 400 or a 422 that records nothing and mails no one; the whole life of an
// incident through the API: notices, the report downloaded and confirmed, users
// added, a re-assessment (updated notice; those dropped from the scope corrected
// and their offers closed), retraction and closing.
import { randomUUID } from 'node:crypto';
import { HttpClient, reauth, signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { isolatedDatabase } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { waitFor } from '../helpers/wait';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import type { PrismaClient } from '@prisma/client';
import { grantRole } from '../helpers/accounts';

let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;
let smtp: FakeSmtp;
let api: TestApi;
let worker: TestWorker;
let responder: HttpClient;
let dpo: HttpClient;
let plainUser: HttpClient;

beforeAll(async () => {
  db = await isolatedDatabase('incident_routes');
  prisma = db.prisma;
  smtp = await startFakeSmtp();
  api = await startTestApi({ DATABASE_URL: db.url, SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: `incident-routes-${randomUUID()}` });
  worker = await startTestWorker(api.deps.config);
  const staff = async (role: 'incident_responder' | 'dpo') => {
    const { client, email } = await signedUpClient(api.baseUrl, `Staff ${role}`);
    await grantRole(prisma, email, role);
    return client;
  };
  responder = await staff('incident_responder');
  dpo = await staff('dpo');
  plainUser = (await signedUpClient(api.baseUrl, 'Plain user')).client;
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await smtp?.close();
  await db?.close();
});

const body = (overrides: Record<string, unknown> = {}) => ({
  title: 'Leaked debug log',
  description: 'A debug log with account email addresses was served publicly for two hours.',
  discoveredAt: new Date(Date.now() - 3_600_000).toISOString(),
  breachType: 'confidentiality',
  dataCategories: ['email addresses'],
  personalDataExposed: true,
  affected: { userIds: [randomUUID()] },
  ...overrides,
});

async function users(n: number) {
  return Promise.all(Array.from({ length: n }, (_, i) => signedUpClient(api.baseUrl, `Affected ${i}`)));
}

const mailsTo = (email: string, subject: RegExp) => smtp.messages.filter((m) => m.to.includes(email) && subject.test(m.header('subject') ?? ''));

async function statusUntil(id: string, what: string, ok: (s: Record<string, any>) => boolean) {
  return waitFor(
    async () => {
      const res = await responder.get(`/v1/incidents/${id}`);
      return ok(res.body) ? res.body : undefined;
    },
    { what, timeoutMs: 30_000, intervalMs: 200 },
  );
}

it('only incident responders start incidents; responders and the DPO read them; everyone else is refused', async () => {
  expect((await new HttpClient(api.baseUrl).post('/v1/incidents', body())).status).toBe(401);
  const refused = await plainUser.post('/v1/incidents', body());
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('forbidden');
  expect((await dpo.post('/v1/incidents', body())).status).toBe(403);

  const started = await responder.post('/v1/incidents', body());
  expect(started.status).toBe(201);
  expect((await dpo.get(`/v1/incidents/${started.body.id}`)).status).toBe(200);
  expect((await plainUser.get(`/v1/incidents/${started.body.id}`)).status).toBe(403);
  expect((await plainUser.get(`/v1/incidents/${started.body.id}/authority-report`)).status).toBe(403);
  expect((await plainUser.post(`/v1/incidents/${started.body.id}/retract`, { reason: 'no' })).status).toBe(403);
  expect((await responder.get(`/v1/incidents/${randomUUID()}`)).status).toBe(404);
  expect((await responder.get('/v1/incidents/not-a-uuid')).status).toBe(400);
  expect((await responder.post(`/v1/incidents/${randomUUID()}/retract`, { reason: 'x' })).status).toBe(404);
});

it('bad input is refused with a clear code, records nothing and mails no one', async () => {
  const before = { incidents: await prisma.incident.count(), mail: smtp.messages.length };
  const { discoveredAt: _dropped, ...withoutDiscovery } = body();
  const cases: [string, unknown, number, string][] = [
    ['missing discoveredAt', withoutDiscovery, 400, 'validation_failed'],
    ['unknown selector', body({ affected: { everyone: true } }), 400, 'validation_failed'],
    ['two selectors at once', body({ affected: { all: true, userIds: [randomUUID()] } }), 400, 'validation_failed'],
    ['a period that ends before it starts', body({ affected: { toolId: randomUUID(), from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } }), 400, 'validation_failed'],
    ['an unknown breach type', body({ breachType: 'mild' }), 400, 'validation_failed'],
    ['no data categories', body({ dataCategories: [] }), 400, 'validation_failed'],
    ['a date that is not one', body({ discoveredAt: 'yesterday' }), 400, 'validation_failed'],
    ['an unknown field', body({ severity: 'high' }), 400, 'validation_failed'],
    ['a blank title', body({ title: '   ' }), 400, 'validation_failed'],
    ['discovery in the future', body({ discoveredAt: new Date(Date.now() + 3_600_000).toISOString() }), 422, 'discovered_in_future'],
  ];
  for (const [what, input, status, code] of cases) {
    const res = await responder.post('/v1/incidents', input);
    expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status, code });
  }
  expect(await prisma.incident.count()).toBe(before.incidents);
  expect(smtp.messages.length).toBe(before.mail);

  const started = await responder.post('/v1/incidents', body());
  const signalCases: [string, string, unknown][] = [
    ['affected-users', 'not ids', { userIds: ['bob'] }],
    ['affected-users', 'empty', { userIds: [] }],
    ['authority-report', 'no reference', { phase: 'initial' }],
    ['authority-report', 'unknown phase', { reference: 'X', phase: 'final' }],
    ['retract', 'no reason', {}],
    ['scope', 'nothing to update', {}],
  ];
  for (const [path, what, input] of signalCases) {
    const res = await responder.post(`/v1/incidents/${started.body.id}/${path}`, input);
    expect({ path, what, status: res.status, code: res.body.error?.code }).toEqual({ path, what, status: 400, code: 'validation_failed' });
  }
});

it('the life of an incident through the API: notices, report, more users, re-assessment, retraction, closing', async () => {
  const affected = await users(4);
  const [a, b, c, d] = affected;
  const discoveredAt = new Date(Date.now() - 2 * 3_600_000);
  const started = await responder.post('/v1/incidents', body({ discoveredAt: discoveredAt.toISOString(), affected: { userIds: [a!.user.id, b!.user.id, c!.user.id] } }));
  expect(started.status).toBe(201);
  expect(started.body).toEqual({ id: expect.any(String), workflowId: `incident-${started.body.id}`, notifyBy: new Date(discoveredAt.getTime() + 72 * 3_600_000).toISOString() });
  const id = started.body.id as string;

  let status = await statusUntil(id, 'three notices', (s) => s.affected.notified === 3);
  expect(status).toMatchObject({ id, status: 'waiting', retracted: false, authorityReport: { status: 'prepared' }, affected: { total: 3, notified: 3, pending: 0, failed: 0 } });
  expect(status.hoursLeft).toBeGreaterThan(69);
  expect(status.hoursLeft).toBeLessThanOrEqual(70);
  for (const u of [a, b, c]) expect(mailsTo(u!.email, /^Security incident/)).toHaveLength(1);

  // The report, downloaded, then confirmed as submitted (initial, then a follow-up).
  const report = await dpo.get(`/v1/incidents/${id}/authority-report`);
  expect(report.status).toBe(200);
  expect(report.body).toMatchObject({ incidentId: id, phase: 'initial', peopleAffected: { approximate: 3 }, controller: { contactPoint: expect.any(String) } });
  expect(JSON.stringify(report.body)).not.toContain(a!.email);
  expect((await dpo.post(`/v1/incidents/${id}/authority-report`, { reference: 'DPA-7', phase: 'initial' })).status).toBe(202);
  status = await statusUntil(id, 'the report confirmed', (s) => s.authorityReport.status === 'submitted');
  expect(status.authorityReport).toMatchObject({ reference: 'DPA-7', phases: [{ phase: 'initial', reference: 'DPA-7' }] });

  // One more user found.
  expect((await responder.post(`/v1/incidents/${id}/affected-users`, { userIds: [d!.user.id] })).status).toBe(202);
  await statusUntil(id, 'the fourth notice', (s) => s.affected.notified === 4);
  expect(mailsTo(d!.email, /^Security incident/)).toHaveLength(1);

  // Re-assessed: c is not affected after all, and the description changes: the others are told again (version 2).
  const rescoped = await responder.post(`/v1/incidents/${id}/scope`, {
    affected: { userIds: [a!.user.id, b!.user.id, d!.user.id] },
    description: 'The log was served for two hours, to one address only.',
  });
  expect(rescoped.status).toBe(202);
  await statusUntil(id, 'the updated notices and the correction', (s) => s.version === 2 && s.affected.notified === 3 && s.affected.corrected === 1);
  for (const u of [a, b, d]) expect(mailsTo(u!.email, /^Update: security incident/)).toHaveLength(1);
  expect(mailsTo(c!.email, /^Correction/)).toHaveLength(1);
  expect(mailsTo(c!.email, /^Update/)).toHaveLength(0);
  expect(await prisma.incidentRecipient.findUniqueOrThrow({ where: { incidentId_userId: { incidentId: id, userId: c!.user.id } } })).toMatchObject({ inScope: false, offerClosedAt: expect.any(Date) });

  // Retracted: everyone told gets a correction; nothing more can be added.
  expect((await responder.post(`/v1/incidents/${id}/retract`, { reason: 'the address was our own test inbox' })).status).toBe(202);
  status = await statusUntil(id, 'the corrections', (s) => s.retracted && s.affected.corrected === 4);
  expect(status.offers).toEqual({ issued: 4, closed: 4 });
  for (const u of [a, b, c, d]) expect(mailsTo(u!.email, /^Correction/)).toHaveLength(1);
  const late = await responder.post(`/v1/incidents/${id}/affected-users`, { userIds: [randomUUID()] });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('incident_retracted');

  expect((await responder.post(`/v1/incidents/${id}/close`)).status).toBe(202);
  await statusUntil(id, 'closed', (s) => s.status === 'closed');
  const closedRetract = await responder.post(`/v1/incidents/${id}/retract`, { reason: 'again' });
  expect(closedRetract.status).toBe(409);
  expect(closedRetract.body.error.code).toBe('incident_closed');
  await api.deps.temporal.workflow.getHandle(`incident-${id}`).result();
}, 120_000);

it('an incident cannot be closed while users wait for a notice or the initial report is unconfirmed', async () => {
  const [u] = await users(1);
  const started = await responder.post('/v1/incidents', body({ affected: { userIds: [u!.user.id] } }));
  await statusUntil(started.body.id, 'the notice', (s) => s.affected.notified === 1);
  const refused = await responder.post(`/v1/incidents/${started.body.id}/close`);
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('incident_open_steps');
});

it('with Temporal unreachable the start answers 503 and leaves no incident without its saga', async () => {
  const noTemporal = await startTestApi({ DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  try {
    const token = (await responder.post('/v1/auth/tokens', { name: 'incident-503' })).body.token as string;
    const client = new HttpClient(noTemporal.baseUrl);
    client.bearer = token;
    const before = await prisma.incident.count();
    const res = await client.post('/v1/incidents', body());
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('workflow_service_unavailable');
    expect(await prisma.incident.count()).toBe(before);
  } finally {
    await noTemporal.close();
  }
}, 60_000);

it("an affected user's data export shows the incident and, decrypted, their credit-monitoring code", async () => {
  const [u] = await users(1);
  const started = await responder.post('/v1/incidents', body({ affected: { userIds: [u!.user.id] } }));
  await statusUntil(started.body.id, 'the notice', (s) => s.affected.notified === 1);
  const [notice] = mailsTo(u!.email, /^Security incident/);
  const code = /CM-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/.exec(notice!.raw.replace(/=\r?\n/g, ''))?.[0];
  expect(code).toBeDefined();

  await reauth(u!.client);
  const { requestId } = (await u!.client.post('/v1/privacy/exports')).body as { requestId: string };
  await waitFor(async () => (await u!.client.get(`/v1/privacy/requests/${requestId}`)).body.downloadUrl, { timeoutMs: 60_000, what: 'the export' });
  const file = JSON.parse((await u!.client.get(`/v1/privacy/exports/${requestId}/download`)).text);
  expect(file.tables.incident_recipients.rows).toEqual([
    expect.objectContaining({ incident_id: started.body.id, notice_version: 1, offer_code: code }),
  ]);
}, 90_000);
