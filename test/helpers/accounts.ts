import { randomUUID } from 'node:crypto';
import type { PrismaClient, Role } from '@prisma/client';
import { rolesCommand } from '../../scripts/roles';
import { TEST_EMAIL_INDEX_KEY, TEST_KEYS, uniqueEmail } from './env';
import { createProfiles } from '../../src/accounts/profile';
import { emailIndex, parseEmailIndexKey } from '../../src/accounts/email-index';
import { DataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';

const testProfiles = (prisma: PrismaClient) => createProfiles(prisma, new DataKeys(prisma, Keyring.parse(TEST_KEYS)), parseEmailIndexKey(TEST_EMAIL_INDEX_KEY));

/** The `where` that finds a users row by email (through the blind index, as the API does). */
export const userWithEmail = (email: string) => ({ emailIndex: emailIndex(parseEmailIndexKey(TEST_EMAIL_INDEX_KEY), email) });

/** A user's row as stored, with its profile decrypted (the API's and the tests' keys are the same). */
export async function storedAccount(prisma: PrismaClient, userId: string) {
  return testProfiles(prisma).open(await prisma.user.findUniqueOrThrow({ where: { id: userId } }));
}

/** A user row straight in the database, profile encrypted as sign-up does (for tests below the API). */
export async function createAccount(prisma: PrismaClient, name = 'Ledger User'): Promise<{ id: string; email: string }> {
  const email = uniqueEmail('ledger');
  const profiles = testProfiles(prisma);
  const user = await profiles.createUser(randomUUID(), { name, email, avatarUrl: null }, { passwordHash: 'not-a-login' });
  return { id: user.id, email };
}

export async function createUser(prisma: PrismaClient, name = 'Ledger User'): Promise<string> {
  return (await createAccount(prisma, name)).id;
}

/** Gives an account credits the way a paid checkout does (purchase row + creditPurchase). */
export async function fundAccount(
  prisma: PrismaClient,
  ledger: { creditPurchase(sessionId: string): Promise<unknown> },
  accountId: string,
  credits: number,
  opts: { amountCents?: number; paymentIntentId?: string } = {},
): Promise<{ sessionId: string; paymentIntentId: string }> {
  const sessionId = `cs_test_${randomUUID()}`;
  const paymentIntentId = opts.paymentIntentId ?? `pi_test_${randomUUID()}`;
  await prisma.creditPurchase.create({
    data: {
      checkoutSessionId: sessionId,
      accountId,
      packageId: 'test',
      credits,
      amountCents: opts.amountCents ?? credits * 5,
      currency: 'usd',
      checkoutUrl: 'https://checkout.example/test',
      paymentIntentId,
      paidAt: new Date(),
    },
  });
  await ledger.creditPurchase(sessionId);
  return { sessionId, paymentIntentId };
}

/** The money invariants, checked against the database itself. */
export async function expectLedgerConsistent(prisma: PrismaClient, accountId: string): Promise<{ available: number; reserved: number }> {
  const account = (await prisma.creditAccount.findUnique({ where: { userId: accountId } })) ?? { available: 0, reserved: 0 };
  const sums = await prisma.ledgerEntry.aggregate({ where: { accountId }, _sum: { availableDelta: true, reservedDelta: true } });
  const held = await prisma.creditReservation.aggregate({ where: { accountId, state: 'held' }, _sum: { amount: true } });
  expect(account.available).toBeGreaterThanOrEqual(0);
  expect(account.reserved).toBeGreaterThanOrEqual(0);
  expect(sums._sum.availableDelta ?? 0).toBe(account.available);
  expect(sums._sum.reservedDelta ?? 0).toBe(account.reserved);
  expect(held._sum.amount ?? 0).toBe(account.reserved);
  return { available: account.available, reserved: account.reserved };
}

/** Grants a staff role the way an operator does (npm run roles, audited), with a test's reason. */
export async function grantRole(prisma: PrismaClient, email: string, role: Role): Promise<string> {
  return rolesCommand(prisma, ['grant', email, role, '--reason', 'test setup'], 'cli:test');
}
