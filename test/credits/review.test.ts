// Clearing a fraud review: a dispute pauses an account's paid runs until an
// operator clears it with `npm run accounts -- clear-review`, which is audited
// (operator, reason, the review it undid) and changes nothing on an account
// that is not under review.
import { randomUUID } from 'node:crypto';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { createAccount, fundAccount } from '../helpers/accounts';
import { createLedger } from '../../src/credits/ledger';
import { accountsCommand } from '../../scripts/accounts';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 60_000 });
afterAll(closeTestPrisma);

async function disputedAccount() {
  const { id: account, email } = await createAccount(prisma);
  const { paymentIntentId } = await fundAccount(prisma, ledger, account, 100, { amountCents: 1000 });
  await prisma.creditClawback.create({ data: { stripeObjectId: `dp_${randomUUID()}`, kind: 'dispute', paymentIntentId, amountCents: 100 } });
  await ledger.applyClawbacks(paymentIntentId);
  return { account, email };
}

it('clear-review lifts the review so paid runs resume, and records who did it and why', async () => {
  const { account, email } = await disputedAccount();
  const reserve = () => ledger.reserve({ accountId: account, executionId: randomUUID(), amount: 5 });
  await expect(reserve()).rejects.toMatchObject({ code: 'account_under_review' });

  const line = await accountsCommand(prisma, ['clear-review', email, '--reason', 'dispute won; chargeback reversed'], 'cli:ops-alice');
  expect(line).toMatch(/review cleared/);
  expect((await ledger.balance(account)).underReview).toBe(false);
  await expect(reserve()).resolves.toMatchObject({ state: 'held' });

  const audit = await prisma.operatorAction.findMany({ where: { userId: account } });
  expect(audit).toEqual([
    expect.objectContaining({ operator: 'cli:ops-alice', action: 'clear_review', reason: 'dispute won; chargeback reversed', detail: expect.stringMatching(/^dispute on cs_test_/) }),
  ]);
});

it('on an account not under review it changes nothing and records nothing', async () => {
  const { id: account, email } = await createAccount(prisma);
  expect(await accountsCommand(prisma, ['clear-review', email, '--reason', 'checking'], 'cli:ops')).toMatch(/not under review/);
  expect(await prisma.operatorAction.count({ where: { userId: account } })).toBe(0);
});

it('refuses a missing reason and an unknown account', async () => {
  const { account, email } = await disputedAccount();
  await expect(accountsCommand(prisma, ['clear-review', email])).rejects.toThrow(/usage/);
  await expect(accountsCommand(prisma, ['clear-review', `nobody-${randomUUID()}@example.test`, '--reason', 'oops'])).rejects.toMatchObject({ code: 'not_found' });
  expect((await ledger.balance(account)).underReview).toBe(true);
  expect(await prisma.operatorAction.count({ where: { userId: account } })).toBe(0);
});
