// Security-alert mail over real SMTP (nodemailer to a local SMTP server), from a
// database of its own: each recorded event is mailed once to the account's
// address, however often the sender runs; a mail queued without SMTP waits and
// goes once SMTP is there; and no secret is in the mail.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { isolatedDatabase, capturingLogger, testConfig, TEST_KEYS, TEST_EMAIL_INDEX_KEY, TEST_RATE_LIMIT_KEY_SECRET } from '../helpers/env';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { createMailActivities } from '../../src/mail/activities';
import { createMailService } from '../../src/mail/service';
import { createTransport } from '../../src/mail/transport';
import { DataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';
import { createProfiles } from '../../src/accounts/profile';
import { parseEmailIndexKey } from '../../src/accounts/email-index';
import { createProviderKeyService } from '../../src/provider-keys/service';
import { createAccountService } from '../../src/accounts/service';

let prisma: PrismaClient;
let close: () => Promise<void>;
let smtp: FakeSmtp;
beforeAll(async () => {
  ({ prisma, close } = await isolatedDatabase('sotally_mail'));
  smtp = await startFakeSmtp();
}, 60_000);
afterAll(async () => {
  await smtp?.close();
  await close?.();
});

const dataKeys = () => new DataKeys(prisma, Keyring.parse(TEST_KEYS));

async function account() {
  const id = randomUUID();
  const email = `alerts-${id.slice(0, 8)}@example.test`;
  await createProfiles(prisma, dataKeys(), parseEmailIndexKey(TEST_EMAIL_INDEX_KEY)).createUser(id, { name: 'Alerted', email, avatarUrl: null }, { passwordHash: 'x' });
  return { id, email };
}

const mailTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email));

it('a new BYOM key is mailed once to the account\'s address, with no part of the key, however often the sender runs', async () => {
  const user = await account();
  const apiKey = `sk-${randomUUID().replace(/-/g, '')}`;
  await createProviderKeyService(prisma, dataKeys()).add(user.id, { provider: 'openai', apiKey });
  const activities = createMailActivities({ prisma, config: testConfig({ SMTP_URL: smtp.url }), logger: capturingLogger().logger, dataKeys: dataKeys() });

  expect(await activities.sendSecurityAlerts()).toMatchObject({ queued: 1, sent: 1 });
  await activities.sendSecurityAlerts(); // a second run (a retry, the next schedule tick)
  const mails = mailTo(user.email);
  expect(mails).toHaveLength(1);
  expect(mails[0]!.header('subject')).toBe('A model API key was added to your account');
  expect(mails[0]!.raw).not.toContain(apiKey.slice(3, 20));
  expect(mails[0]!.raw).not.toContain(apiKey.slice(-4));

  // The outbox holds the address only as ciphertext, and knows the mail went.
  const [row] = await prisma.mailOutbox.findMany({ where: { userId: user.id } });
  expect(row).toMatchObject({ purpose: 'security_alert', sentAt: expect.any(Date), attempts: 1 });
  expect(Buffer.from(row!.recipientCiphertext!).toString('latin1')).not.toContain(user.email);
  expect(await prisma.securityEvent.count({ where: { userId: user.id, notifiedAt: null } })).toBe(0);
});

it('sending a mail already sent, or queuing the same mail again, sends nothing more', async () => {
  const user = await account();
  const mail = createMailService({ prisma, dataKeys: dataKeys(), transport: createTransport(smtp.url), from: 'Sotally <no-reply@sotally.local>' });
  const queue = () => mail.enqueue({ userId: user.id, purpose: 'security_alert', dedupeKey: 'same-event', recipient: user.email, data: { type: 'api_token_created' } });
  const id = await queue();
  expect(await queue()).toBe(id);
  expect(await prisma.mailOutbox.count({ where: { userId: user.id } })).toBe(1);
  const results = await Promise.all([mail.send(id), mail.send(id), mail.send(id)]); // racing retries
  expect(results.filter((r) => r === 'sent')).toHaveLength(1);
  expect(mailTo(user.email)).toHaveLength(1);
  expect(mailTo(user.email)[0]!.header('message-id')).toBe(`<${id}@outbox.sotally>`);
});

it('without SMTP the alert waits in the outbox, and goes once SMTP is configured', async () => {
  const user = await account();
  await createProviderKeyService(prisma, dataKeys()).add(user.id, { provider: 'openai', apiKey: `sk-${'w'.repeat(30)}` });
  const { logger, lines } = capturingLogger();
  const withoutSmtp = createMailActivities({ prisma, config: testConfig(), logger, dataKeys: dataKeys() });
  expect((await withoutSmtp.sendSecurityAlerts()).sent).toBe(0);
  expect(lines.join('\n')).toContain('SMTP_URL is not set');
  expect(lines.join('\n')).not.toContain(user.email);
  expect(mailTo(user.email)).toHaveLength(0);

  const withSmtp = createMailActivities({ prisma, config: testConfig({ SMTP_URL: smtp.url }), logger, dataKeys: dataKeys() });
  await withSmtp.sendSecurityAlerts();
  expect(mailTo(user.email)).toHaveLength(1);
});

it('an email change is mailed to the old address, queued with the change itself; the new address gets nothing', async () => {
  const user = await account();
  const keys = dataKeys();
  const queueOnly = createMailService({ prisma, dataKeys: keys, transport: null, from: 'Sotally <no-reply@sotally.local>' });
  const accounts = createAccountService(prisma, keys, queueOnly, { passwordCostLog2: 14, sessionTtlMs: 60_000, reauthTtlMs: 600_000, emailIndexKey: parseEmailIndexKey(TEST_EMAIL_INDEX_KEY), hmacSecret: TEST_RATE_LIMIT_KEY_SECRET });
  const newEmail = `moved-${randomUUID().slice(0, 8)}@example.test`;
  await accounts.updateProfile(user.id, { email: newEmail });
  await accounts.updateProfile(user.id, { name: 'Renamed only' }); // no email change: no alert
  expect(await prisma.mailOutbox.count({ where: { userId: user.id } })).toBe(1);

  const activities = createMailActivities({ prisma, config: testConfig({ SMTP_URL: smtp.url }), logger: capturingLogger().logger, dataKeys: keys });
  await activities.sendSecurityAlerts();
  await activities.sendSecurityAlerts();
  expect(mailTo(user.email)).toHaveLength(1);
  expect(mailTo(user.email)[0]!.header('subject')).toBe('Your Sotally email address was changed');
  expect(mailTo(newEmail)).toHaveLength(0);
});
