// Every erasure step is safe to run again (a retried activity, a worker killed
// mid-step, a replayed workflow): run all of them twice, then the whole
// sequence again, and the outcome is the same as once, with one confirmation.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { testConfig, testPrisma, closeTestPrisma, TEST_KEYS, TEST_EMAIL_INDEX_KEY } from '../helpers/env';
import { createAccount, fundAccount, expectLedgerConsistent } from '../helpers/accounts';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { createLedger } from '../../src/credits/ledger';
import { DataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';
import { createMailService } from '../../src/mail/service';
import { createTransport } from '../../src/mail/transport';
import { createProfiles } from '../../src/accounts/profile';
import { parseEmailIndexKey } from '../../src/accounts/email-index';
import { createPrivacyRequests } from '../../src/privacy/requests';
import { createErasureSteps } from '../../src/erasure/steps';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';

const prisma = testPrisma();
let smtp: FakeSmtp;
let connection: Connection;
beforeAll(async () => {
  smtp = await startFakeSmtp();
  connection = await Connection.connect({ address: testConfig().TEMPORAL_ADDRESS });
});
afterAll(async () => {
  await smtp?.close();
  await connection?.close();
  await closeTestPrisma();
});

it('running every step twice, and the sequence again, erases once and mails once', async () => {
  const keyring = Keyring.parse(TEST_KEYS);
  const dataKeys = new DataKeys(prisma, keyring);
  const ledger = createLedger(prisma, { reservationTtlMs: 600_000 });
  const requests = createPrivacyRequests(prisma, { deadlineMs: 30 * 86_400_000 });
  const { id: userId, email } = await createAccount(prisma, 'Twice Erased');
  await fundAccount(prisma, ledger, userId, 40);
  const request = await requests.open(userId, 'erasure');
  const pseudonym = randomUUID();
  await prisma.erasureRequest.create({
    data: { requestId: request.id, userId, pseudonym, graceEndsAt: new Date(), recipientCiphertext: keyring.seal(ENCRYPTED_COLUMNS.erasureRecipient, request.id, email) },
  });
  const steps = createErasureSteps({
    prisma,
    dataKeys,
    ledger,
    mail: createMailService({ prisma, dataKeys, transport: createTransport(smtp.url), from: 'Sotally <no-reply@sotally.local>' }),
    profiles: createProfiles(prisma, dataKeys, parseEmailIndexKey(TEST_EMAIL_INDEX_KEY)),
    requests,
    temporal: new Client({ connection }),
  });

  const sequence = async () => {
    for (let i = 0; i < 2; i++) expect(await steps.begin(request.id)).toBe('started');
    for (let i = 0; i < 2; i++) await steps.stopExecutions(request.id);
    for (let i = 0; i < 2; i++) await steps.destroyDataKey(request.id);
    const counts = await steps.eraseData(request.id);
    await steps.eraseData(request.id);
    for (let i = 0; i < 2; i++) await steps.deleteAccount(request.id);
    for (let i = 0; i < 2; i++) await steps.sendConfirmation(request.id);
    for (let i = 0; i < 2; i++) await steps.complete(request.id, counts);
    return counts;
  };
  const first = await sequence();
  expect(first).toMatchObject({ ledger_entries: { updated: 1 }, credit_accounts: { updated: 1 } });
  await sequence(); // the whole workflow replayed from the start, say

  expect(await prisma.user.count({ where: { id: userId } })).toBe(0);
  expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  expect(await prisma.erasureCertificate.findUniqueOrThrow({ where: { requestId: request.id } })).toMatchObject({ pseudonym, categories: first });
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ status: 'completed', userId: null });
  expect(await expectLedgerConsistent(prisma, pseudonym)).toEqual({ available: 40, reserved: 0 });
  expect(await prisma.ledgerEntry.count({ where: { accountId: userId } })).toBe(0);
});
