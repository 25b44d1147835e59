// Credits without Stripe: an admin's adjustment through the API or the
// operator command, audited (who, why), explained by an `adjustment` ledger
// entry, applied once per idempotency key, and never below a zero balance.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';
import { expectLedgerConsistent, grantRole } from '../helpers/accounts';

const api = useTestApi();
const prisma = testPrisma();

async function admin() {
  const operator = await signedUpClient(api.baseUrl, 'Operator');
  await grantRole(prisma, operator.email, 'admin');
  return operator;
}

const key = () => ({ 'idempotency-key': `adj-${randomUUID()}` });

it('an admin grants and takes back credits; each adjustment is audited, in the ledger, and applied once per key', async () => {
  const operator = await admin();
  const user = await signedUpClient(api.baseUrl);
  const grantKey = key();
  const grant = await operator.client.post('/v1/admin/credit-adjustments', { userId: user.user.id, credits: 100, reason: 'beta tester' }, grantKey);
  expect(grant.status).toBe(201);
  expect(grant.body).toMatchObject({ userId: user.user.id, credits: 100, reason: 'beta tester', operator: `user:${operator.user.id}`, balance: { available: 100, reserved: 0 } });

  const again = await operator.client.post('/v1/admin/credit-adjustments', { userId: user.user.id, credits: 100, reason: 'beta tester' }, grantKey);
  expect(again.status).toBe(200);
  expect(again.body.id).toBe(grant.body.id);
  const reused = await operator.client.post('/v1/admin/credit-adjustments', { userId: user.user.id, credits: 500, reason: 'beta tester' }, grantKey);
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('idempotency_key_reused');

  const tooMuch = await operator.client.post('/v1/admin/credit-adjustments', { userId: user.user.id, credits: -150, reason: 'correction' }, key());
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.error.code).toBe('adjustment_exceeds_balance');
  const takeBack = await operator.client.post('/v1/admin/credit-adjustments', { userId: user.user.id, credits: -40, reason: 'correction' }, key());
  expect(takeBack.body.balance).toEqual({ available: 60, reserved: 0 });

  expect((await user.client.get('/v1/credits')).body).toMatchObject({ available: 60, reserved: 0 });
  const ledger = (await user.client.get('/v1/credits/transactions')).body.items.map((e: { type: string; amount: number }) => [e.type, e.amount]);
  expect(ledger).toEqual([
    ['adjustment', -40],
    ['adjustment', 100],
  ]);
  expect(await prisma.creditAdjustment.count({ where: { accountId: user.user.id } })).toBe(2);
  await expectLedgerConsistent(prisma, user.user.id);
});

it('only admins adjust; the key is required; bad bodies and unknown users change nothing', async () => {
  const operator = await admin();
  const user = await signedUpClient(api.baseUrl);
  const body = { userId: user.user.id, credits: 10, reason: 'try' };
  const self = await user.client.post('/v1/admin/credit-adjustments', { ...body }, key());
  expect(self.status).toBe(403);
  const noKey = await operator.client.post('/v1/admin/credit-adjustments', body);
  expect(noKey.body.error.code).toBe('idempotency_key_required');
  for (const bad of [{ ...body, credits: 0 }, { ...body, credits: 1.5 }, { ...body, reason: '' }, { ...body, userId: 'x' }, { ...body, extra: 1 }]) {
    expect((await operator.client.post('/v1/admin/credit-adjustments', bad, key())).status).toBe(400);
  }
  expect((await operator.client.post('/v1/admin/credit-adjustments', { ...body, userId: randomUUID() }, key())).status).toBe(404);
  expect(await prisma.creditAdjustment.count({ where: { accountId: user.user.id } })).toBe(0);
  expect(await prisma.ledgerEntry.count({ where: { accountId: user.user.id } })).toBe(0);
});

it('npm run credits grants from the command line, audited as the OS user', () => {
  return (async () => {
    const user = await signedUpClient(api.baseUrl);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/credits.ts', ...args], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: { PATH: process.env.PATH, DATABASE_URL: api.deps.config.DATABASE_URL, EMAIL_INDEX_KEY: api.deps.config.EMAIL_INDEX_KEY },
        encoding: 'utf8',
      });
    const granted = run('grant', user.email, '25', '--reason', 'support goodwill', '--key', `k-${user.user.id}`);
    expect(granted.stdout).toContain('granted 25 credits; available 25');
    expect(run('grant', user.email, '25', '--reason', 'support goodwill', '--key', `k-${user.user.id}`).stdout).toContain('already applied');
    expect(run('grant', user.email, 'lots').status).toBe(2);
    expect(run('take', user.email, '26', '--reason', 'too much').stderr).toContain('adjustment_exceeds_balance');
    const [adjustment] = await prisma.creditAdjustment.findMany({ where: { accountId: user.user.id } });
    expect(adjustment).toMatchObject({ credits: 25, reason: 'support goodwill', operator: expect.stringMatching(/^cli:/) });
    await expectLedgerConsistent(prisma, user.user.id);
  })();
}, 60_000);
