// Support access (SPEC feature 9): support staff read a user's runs, inputs and
// outputs included, only with a stated reason; each access writes exactly one
// audit entry (who, whom, what, why, when) before the data is answered; the
// entry cannot be changed or deleted by anyone; the user sees it in their data
// export (the staff member masked); the DPO lists it; erasure removes it with
// the user's other data. Everyone else is refused.
import { randomUUID } from 'node:crypto';
import { createLedger } from '../../src/credits/ledger';
import { eraseRegisteredData } from '../../src/erasure/engine';
import { fundAccount, grantRole } from '../helpers/accounts';
import { reauth, signedUpClient, type HttpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';

const prisma = testPrisma();
const stack = useExecutionStack({ TEMPORAL_TASK_QUEUE: `support-${randomUUID()}` });
const REASON = { 'X-Access-Reason': 'ticket 4711: the user reports an empty output' };

async function staff(role: 'support' | 'dpo') {
  const member = await signedUpClient(stack.api.baseUrl, `Staff ${role}`);
  await grantRole(prisma, member.email, role);
  return member;
}

/** A user with one finished run whose input carries `marker`. */
async function userWithRun(marker: string) {
  const user = await signedUpClient(stack.api.baseUrl, 'Customer');
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.user.id, 100);
  const creator = await signedUpClient(stack.api.baseUrl, 'Creator');
  const tool = await createTool(creator.client, {});
  const run = await user.client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: marker }, waitSeconds: 20 });
  expect(run.body.status).toBe('succeeded');
  return { ...user, executionId: run.body.id as string };
}

const auditOf = (userId: string) => prisma.supportAccess.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

it('support reads a user\'s runs with a reason, and each access writes exactly one audit entry first', async () => {
  const support = await staff('support');
  const user = await userWithRun(`MARK-${randomUUID().slice(0, 8)}`);

  const list = await support.client.get(`/v1/support/users/${user.user.id}/executions`, REASON);
  expect(list.status).toBe(200);
  expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([user.executionId]);
  const one = await support.client.get(`/v1/support/executions/${user.executionId}`, REASON);
  expect(one.status).toBe(200);
  expect(one.body).toMatchObject({ id: user.executionId, inputs: { who: expect.stringMatching(/^MARK-/) }, output: expect.any(String) });

  expect((await auditOf(user.user.id)).map((a) => [a.staffId, a.action, a.executionId, a.reason])).toEqual([
    [support.user.id, 'list_executions', null, REASON['X-Access-Reason']],
    [support.user.id, 'read_execution', user.executionId, REASON['X-Access-Reason']],
  ]);

  // Nobody can change or delete an entry (the trigger refuses it, whatever the client).
  const [entry] = await auditOf(user.user.id);
  await expect(prisma.supportAccess.update({ where: { id: entry!.id }, data: { reason: 'nothing to see' } })).rejects.toThrow(/append-only/);
  await expect(prisma.supportAccess.delete({ where: { id: entry!.id } })).rejects.toThrow(/append-only/);
  expect(await auditOf(user.user.id)).toHaveLength(2);
}, 60_000);

it('without the role 403, without a reason 400, unknown ids 404: and no audit entry for any of them', async () => {
  const support = await staff('support');
  const user = await userWithRun('no-access');
  const other = await signedUpClient(stack.api.baseUrl, 'Someone');
  const paths = [`/v1/support/users/${user.user.id}/executions`, `/v1/support/executions/${user.executionId}`];
  for (const path of paths) {
    for (const client of [other.client, user.client] as HttpClient[]) {
      const res = await client.get(path, REASON);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 403, code: 'forbidden' });
    }
    for (const headers of [{}, { 'X-Access-Reason': '   ' }, { 'X-Access-Reason': 'x'.repeat(501) }] as Record<string, string>[]) {
      const res = await support.client.get(path, headers);
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 400, code: 'access_reason_required' });
    }
  }
  expect((await support.client.get(`/v1/support/users/${randomUUID()}/executions`, REASON)).status).toBe(404);
  expect((await support.client.get(`/v1/support/executions/${randomUUID()}`, REASON)).status).toBe(404);
  expect((await support.client.get('/v1/support/executions/not-a-uuid', REASON)).status).toBe(400);
  expect(await auditOf(user.user.id)).toEqual([]);
}, 60_000);

it('the user sees each access in their export (the staff member masked); the DPO lists them; erasure removes them', async () => {
  const support = await staff('support');
  const dpo = await staff('dpo');
  const user = await userWithRun('export-me');
  expect((await support.client.get(`/v1/support/executions/${user.executionId}`, REASON)).status).toBe(200);

  const listed = await dpo.client.get(`/v1/admin/support-access?userId=${user.user.id}`);
  expect(listed.status).toBe(200);
  expect(listed.body.items).toEqual([expect.objectContaining({ staffId: support.user.id, userId: user.user.id, action: 'read_execution', reason: REASON['X-Access-Reason'] })]);
  expect((await support.client.get('/v1/admin/support-access')).status).toBe(403);
  expect((await dpo.client.get('/v1/admin/support-access?cursor=forged')).status).toBe(400);

  await reauth(user.client);
  const { requestId } = (await user.client.post('/v1/privacy/exports')).body as { requestId: string };
  await waitFor(async () => (await user.client.get(`/v1/privacy/requests/${requestId}`)).body.downloadUrl, { timeoutMs: 60_000, what: 'the export' });
  const file = JSON.parse((await user.client.get(`/v1/privacy/exports/${requestId}/download`)).text);
  expect(file.tables.support_access_audit.rows).toEqual([
    expect.objectContaining({ staff_id: 'operator', action: 'read_execution', execution_id: user.executionId, reason: REASON['X-Access-Reason'] }),
  ]);
  expect(JSON.stringify(file)).not.toContain(support.user.id);

  // Erasure (the engine's transaction) removes the user's entries; nothing else can.
  await prisma.$transaction((tx) => eraseRegisteredData(tx, user.user.id, randomUUID()));
  expect(await auditOf(user.user.id)).toEqual([]);
}, 90_000);
