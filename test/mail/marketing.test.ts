// Marketing mail, end to end on a database of its own: the operator command
// records a campaign and starts its workflow on a real Temporal worker; mail
// goes over real SMTP only to users who consent and neither objected nor
// restricted processing; each carries the RFC 8058 headers and a signed link
// whose one-click POST, through the real HTTP API, withdraws consent once.
// Tampered, expired and replayed links change nothing.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { PrismaClient } from '@prisma/client';
import { capturingLogger, isolatedDatabase, testConfig, TEST_EMAIL_INDEX_KEY, TEST_KEYS } from '../helpers/env';
import { HttpClient, startTestApi, TEST_PASSWORD, type TestApi } from '../helpers/api';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeSmtp, type CapturedMail, type FakeSmtp } from '../fakes/smtp';
import { marketingCampaignWorkflowId } from '../../src/mail/contract';
import { sendMarketingCampaignWorkflow } from '../../src/mail/workflows';
import { createMailActivities } from '../../src/mail/activities';
import { createCampaign } from '../../src/mail/marketing';
import { signUnsubscribeToken, unsubscribeKey } from '../../src/consent/unsubscribe-token';
import { parseEmailIndexKey } from '../../src/accounts/email-index';
import { DataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';
import type { Config } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..');
let prisma: PrismaClient;
let dbUrl: string;
let closeDb: () => Promise<void>;
let smtp: FakeSmtp;
let api: TestApi;
let worker: TestWorker;
let config: Config;

beforeAll(async () => {
  ({ prisma, url: dbUrl, close: closeDb } = await isolatedDatabase('sotally_marketing'));
  smtp = await startFakeSmtp();
  api = await startTestApi({ DATABASE_URL: dbUrl });
  config = testConfig({ DATABASE_URL: dbUrl, SMTP_URL: smtp.url, PUBLIC_BASE_URL: api.baseUrl, TEMPORAL_TASK_QUEUE: `marketing-${randomUUID()}` });
  worker = await startTestWorker(config);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await smtp?.close();
  await closeDb?.();
});

let counter = 0;
/** A user signed up through the API, with the given choices made through the API. */
async function user(choices: { consent?: boolean; restricted?: boolean; objections?: Record<string, boolean> }) {
  const client = new HttpClient(api.baseUrl);
  const email = `marketing-${process.pid}-${(counter += 1)}-${randomUUID().slice(0, 6)}@example.test`;
  const signup = await client.post('/v1/auth/signup', { name: 'Reader', email, password: TEST_PASSWORD, marketingConsent: choices.consent ?? false });
  if (signup.status !== 201) throw new Error(signup.text);
  if (choices.restricted) expect((await client.put('/v1/privacy/restriction', { restricted: true })).status).toBe(200);
  if (choices.objections) expect((await client.put('/v1/privacy/objections', choices.objections)).status).toBe(200);
  return { client, email, id: signup.body.user.id as string };
}

const mailTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email));
const linkOf = (mail: CapturedMail) => /^<(.+)>$/.exec(mail.header('list-unsubscribe') ?? '')?.[1] ?? '';
const oneClick = (url: string, init: { body?: string; contentType?: string; headers?: Record<string, string> } = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded', ...init.headers },
    body: init.body ?? 'List-Unsubscribe=One-Click',
  });
const key = unsubscribeKey(parseEmailIndexKey(TEST_EMAIL_INDEX_KEY));
const consentOf = async (id: string) => (await prisma.user.findUniqueOrThrow({ where: { id } })).marketingConsent;
const events = (userId: string) => prisma.consentEvent.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

async function runCampaignCommand(subject: string, body: string): Promise<string> {
  const file = path.join(tmpdir(), `campaign-${randomUUID()}.txt`);
  writeFileSync(file, body);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/mail.ts', 'campaign', '--subject', subject, '--body-file', file], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: dbUrl,
      DATA_ENCRYPTION_KEYS: TEST_KEYS,
      EMAIL_INDEX_KEY: TEST_EMAIL_INDEX_KEY,
      RATE_LIMIT_KEY_SECRET: config.RATE_LIMIT_KEY_SECRET,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    },
  });
  const id = /campaign ([0-9a-f-]{36}) started/.exec(stdout)?.[1];
  if (!id) throw new Error(`unexpected output: ${stdout}`);
  return id;
}

describe('a campaign', () => {
  let eligible: Awaited<ReturnType<typeof user>>;
  let alsoEligible: Awaited<ReturnType<typeof user>>;
  let refused: Awaited<ReturnType<typeof user>>[];
  let campaignId: string;

  beforeAll(async () => {
    eligible = await user({ consent: true });
    alsoEligible = await user({ consent: true, objections: { analytics: true, creatorSharing: true } }); // other objections do not matter
    refused = [
      await user({}), // no consent
      await user({ consent: true, restricted: true }),
      await user({ consent: true, objections: { marketing: true } }),
      await (async () => {
        const u = await user({ consent: true });
        expect((await u.client.put('/v1/me/consents', { marketing: false })).status).toBe(200); // withdrawn in settings
        return u;
      })(),
    ];
    campaignId = await runCampaignCommand('Spring news <b>& more</b>', 'Hello <script>alert(1)</script> readers!\n\nSecond paragraph & "quotes".');
    const result = await api.deps.temporal.workflow.getHandle(marketingCampaignWorkflowId(campaignId)).result();
    expect(result).toEqual({ queued: 2, sent: 2, discarded: 0 });
  }, 120_000);

  it('reaches only users who consent and neither objected to marketing nor restricted processing, once each', async () => {
    expect(mailTo(eligible.email)).toHaveLength(1);
    expect(mailTo(alsoEligible.email)).toHaveLength(1);
    for (const u of refused) expect(mailTo(u.email)).toHaveLength(0);
    expect(await prisma.marketingCampaign.findUniqueOrThrow({ where: { id: campaignId } })).toMatchObject({ queued: 2, sent: 2, finishedAt: expect.any(Date) });
  });

  it('carries the RFC 8058 headers, the link in the text, and the operator\'s text escaped in the HTML part', () => {
    const mail = mailTo(eligible.email)[0]!;
    expect(mail.header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    const link = linkOf(mail);
    expect(link.startsWith(`${api.baseUrl}/v1/unsubscribe?token=`)).toBe(true);
    expect(mail.raw.replace(/=\r?\n/g, '')).toContain(link.slice(-40)); // in the body too (quoted-printable soft breaks removed)
    expect(mail.header('subject')).toContain('Spring news');
    const html = mail.raw.replace(/=\r?\n/g, '').split('Content-Type: text/html')[1] ?? '';
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    // The token names no address.
    const token = new URL(link).searchParams.get('token')!;
    const payload = Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8');
    expect(payload).not.toContain('@');
    expect(payload).toContain(eligible.id);
  });

  it('a second run of the same campaign (a retry, a re-started workflow) mails nobody again', async () => {
    const again = await api.deps.temporal.workflow.execute(sendMarketingCampaignWorkflow, {
      workflowId: `${marketingCampaignWorkflowId(campaignId)}-again`,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [campaignId],
    });
    expect(again).toMatchObject({ sent: 0 });
    expect(mailTo(eligible.email)).toHaveLength(1);
  });

  it('the one-click POST through the HTTP API withdraws consent, recorded with source unsubscribe_link; a replay changes nothing', async () => {
    const mail = mailTo(alsoEligible.email)[0]!;
    const link = linkOf(mail);
    const before = Date.now();
    const res = await oneClick(link); // no cookie, no CSRF header: as a mail provider posts it
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ unsubscribed: true, purpose: 'marketing' });
    expect(await consentOf(alsoEligible.id)).toBe(false);
    const [withdrawn] = (await events(alsoEligible.id)).filter((e) => e.source === 'unsubscribe_link');
    expect(withdrawn).toMatchObject({ purpose: 'marketing', granted: false, mailId: expect.any(String) });
    expect(withdrawn!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await alsoEligible.client.get('/v1/me')).body.consents).toEqual({ marketing: false });

    // The user consents again in settings; the old link, replayed, changes nothing and says so.
    await alsoEligible.client.put('/v1/me/consents', { marketing: true });
    const eventsBefore = (await events(alsoEligible.id)).length;
    const replay = await oneClick(link);
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as any).error.code).toBe('unsubscribe_link_used');
    expect(await consentOf(alsoEligible.id)).toBe(true);
    expect(await events(alsoEligible.id)).toHaveLength(eventsBefore);
    const page = await fetch(link);
    expect(page.status).toBe(409);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('the link opened in a browser shows a confirmation page and changes nothing; its button (a form POST, even with a session cookie and no CSRF header) unsubscribes', async () => {
    const link = linkOf(mailTo(eligible.email)[0]!);
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<form method="post"');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(await consentOf(eligible.id)).toBe(true);

    const cookie = [...eligible.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await oneClick(link, { headers: { accept: 'text/html,application/xhtml+xml', cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('You are unsubscribed');
    expect(await consentOf(eligible.id)).toBe(false);
    for (const line of res.headers.getSetCookie()) expect(line).toMatch(/^(sid|csrf_token)=/);
  });
});

describe('links that change nothing', () => {
  const linkFor = (token: string) => `${api.baseUrl}/v1/unsubscribe?token=${encodeURIComponent(token)}`;

  async function expectUnchanged(userId: string, run: () => Promise<void>) {
    const before = { consent: await consentOf(userId), events: (await events(userId)).length };
    await run();
    expect({ consent: await consentOf(userId), events: (await events(userId)).length }).toEqual(before);
  }

  it.each([
    ['a tampered payload (another user id)', 'tamper-user', 'unsubscribe_link_invalid', 400],
    ['a signature of another key', 'other-key', 'unsubscribe_link_invalid', 400],
    ['a cut signature', 'cut', 'unsubscribe_link_invalid', 400],
    ['garbage', 'garbage', 'unsubscribe_link_invalid', 400],
    ['an expired link', 'expired', 'unsubscribe_link_expired', 400],
    ['a link for an account that no longer exists', 'gone', 'unsubscribe_link_invalid', 400],
  ] as const)('%s: 400 JSON on POST, a 400 page on GET', async (_name, kind, code, status) => {
    const victim = await user({ consent: true });
    const mailId = randomUUID();
    const good = (claims: Partial<Parameters<typeof signUnsubscribeToken>[1]> = {}, k = key) =>
      signUnsubscribeToken(k, { userId: victim.id, purpose: 'marketing', mailId, expiresAt: new Date(Date.now() + 86_400_000), ...claims });
    const token = {
      'tamper-user': () => {
        const [v, , sig] = good().split('.');
        const forged = Buffer.from(JSON.stringify({ u: victim.id, p: 'marketing', m: randomUUID(), x: 9_999_999_999 })).toString('base64url');
        return `${v}.${forged}.${sig}`;
      },
      'other-key': () => good({}, Buffer.alloc(32, 7)),
      cut: () => good().slice(0, -3),
      garbage: () => 'not-a-token',
      expired: () => good({ expiresAt: new Date(Date.now() - 1000) }),
      gone: () => good({ userId: randomUUID() }),
    }[kind]();
    await expectUnchanged(victim.id, async () => {
      const res = await oneClick(linkFor(token));
      expect(res.status).toBe(status);
      expect(((await res.json()) as any).error.code).toBe(code);
      const page = await fetch(linkFor(token));
      expect(page.status).toBe(status);
      expect(page.headers.get('content-type')).toContain('text/html');
    });
    // The same user's genuine link still works afterwards.
    expect((await oneClick(linkFor(good()))).status).toBe(200);
    expect(await consentOf(victim.id)).toBe(false);
  });

  it.each([
    ['an empty body', { body: '' }, 'validation_failed', 400],
    ['a JSON body', { body: '{"List-Unsubscribe":"One-Click"}', contentType: 'application/json' }, 'unsupported_media_type', 415],
    ['another form value', { body: 'List-Unsubscribe=Yes' }, 'validation_failed', 400],
    ['an extra form field', { body: 'List-Unsubscribe=One-Click&email=x@example.test' }, 'validation_failed', 400],
  ] as const)('a POST with %s: 4xx, nothing changed', async (_name, init, code, status) => {
    const victim = await user({ consent: true });
    const token = signUnsubscribeToken(key, { userId: victim.id, purpose: 'marketing', mailId: randomUUID(), expiresAt: new Date(Date.now() + 86_400_000) });
    await expectUnchanged(victim.id, async () => {
      const res = await oneClick(linkFor(token), init);
      expect(res.status).toBe(status);
      expect(((await res.json()) as any).error.code).toBe(code);
    });
  });

  it('no token, or an extra query field: 400, nothing changed', async () => {
    for (const url of [`${api.baseUrl}/v1/unsubscribe`, `${api.baseUrl}/v1/unsubscribe?token=x&email=a@example.test`]) {
      const res = await oneClick(url);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('validation_failed');
    }
  });

  it('two one-click POSTs of the same link at once: one withdraws, the other is told it was used', async () => {
    const victim = await user({ consent: true });
    const token = signUnsubscribeToken(key, { userId: victim.id, purpose: 'marketing', mailId: randomUUID(), expiresAt: new Date(Date.now() + 86_400_000) });
    const statuses = (await Promise.all([oneClick(linkFor(token)), oneClick(linkFor(token)), oneClick(linkFor(token))])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    expect((await events(victim.id)).filter((e) => e.source === 'unsubscribe_link')).toHaveLength(1);
  });
});

it('a user who restricts processing after the mail was queued gets nothing: it is discarded at send time, never sent', async () => {
  const late = await user({ consent: true });
  const campaign = await createCampaign(prisma, { subject: 'Late news', body: 'Queued, then refused.' });
  const activities = createMailActivities({ prisma, config, logger: capturingLogger().logger, dataKeys: new DataKeys(prisma, Keyring.parse(TEST_KEYS)) });
  let after: string | null = null;
  do after = (await activities.queueMarketingMail(campaign.id, after)).nextAfter;
  while (after);
  expect(await prisma.mailOutbox.count({ where: { userId: late.id, dedupeKey: campaign.id } })).toBe(1);

  expect((await late.client.put('/v1/privacy/restriction', { restricted: true })).status).toBe(200);
  const sent = await activities.sendMarketingMail(campaign.id);
  expect(sent.discarded).toBeGreaterThanOrEqual(1);
  expect(smtp.messages.filter((m) => m.to.includes(late.email) && m.header('subject') === 'Late news')).toHaveLength(0);
  const row = await prisma.mailOutbox.findFirstOrThrow({ where: { userId: late.id, dedupeKey: campaign.id } });
  expect(row).toMatchObject({ sentAt: null, discardedAt: expect.any(Date) });
  // The security-alert schedule, which sends whatever is queued, does not send it either.
  await activities.sendSecurityAlerts();
  expect(smtp.messages.filter((m) => m.to.includes(late.email) && m.header('subject') === 'Late news')).toHaveLength(0);
});
