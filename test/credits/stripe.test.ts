// Buying credits end to end: the real API over HTTP, the real `stripe`
// library against a local fake of its API, webhooks signed with the library's
// own test helper, workflows on a real Temporal server, a real Postgres.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { HttpClient, signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeStripe, type FakeStripe } from '../fakes/stripe';
import { expectLedgerConsistent } from '../helpers/accounts';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';

const WEBHOOK_SECRET = `whsec_${randomUUID().replace(/-/g, '')}`;
const stripe = new Stripe('sk_test_unused');
let fakeStripe: FakeStripe;
let api: TestApi;
let worker: TestWorker;
const prisma = testPrisma();

beforeAll(async () => {
  fakeStripe = await startFakeStripe();
  api = await startTestApi({
    STRIPE_SECRET_KEY: 'sk_test_fake',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: fakeStripe.url,
    TEMPORAL_TASK_QUEUE: `credits-${randomUUID()}`,
  });
  worker = await startTestWorker(api.deps.config);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await fakeStripe?.close();
  await closeTestPrisma();
});

function signed(event: object, { secret = WEBHOOK_SECRET, timestamp }: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event);
  return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) }) };
}

function deliver(event: object, options?: Parameters<typeof signed>[1]) {
  const { payload, signature } = signed(event, options);
  return new HttpClient(api.baseUrl).post('/v1/webhooks/stripe', payload, { 'content-type': 'application/json', 'stripe-signature': signature });
}

const event = (type: string, object: object, id = `evt_${randomUUID().replace(/-/g, '')}`) => ({
  id,
  object: 'event',
  type,
  api_version: '2024-06-20',
  created: Math.floor(Date.now() / 1000),
  data: { object },
});

const paidSession = (sessionId: string, paymentIntent: string) =>
  event('checkout.session.completed', { id: sessionId, object: 'checkout.session', payment_status: 'paid', payment_intent: paymentIntent });

async function buy(client: HttpClient, packageId = 'starter') {
  const res = await client.post('/v1/credits/checkout', { packageId });
  expect(res.status).toBe(201);
  return res.body as { sessionId: string; url: string };
}

const balanceOf = async (client: HttpClient) => (await client.get('/v1/credits')).body as { available: number; reserved: number; underReview: boolean };

describe('packages and checkout', () => {
  it('lists the configured packages to anyone', async () => {
    const res = await new HttpClient(api.baseUrl).get('/v1/credits/packages');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.arrayContaining([{ id: 'starter', credits: 100, priceCents: 500, currency: 'usd' }]));
  });

  it('creates a Stripe Checkout Session with the account and package in metadata', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const { sessionId, url } = await buy(client);
    expect(url).toContain(sessionId);
    const request = fakeStripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1);
    expect(request?.form.get('metadata[accountId]')).toBe(user.id);
    expect(request?.form.get('metadata[packageId]')).toBe('starter');
    expect(request?.form.get('line_items[0][price_data][unit_amount]')).toBe('500');
    const row = await prisma.creditPurchase.findUniqueOrThrow({ where: { checkoutSessionId: sessionId } });
    expect(row).toMatchObject({ accountId: user.id, credits: 100, amountCents: 500, paidAt: null, creditedAt: null });
  });

  it('honours Idempotency-Key: the same key gives the same session, and Stripe is asked once', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const key = `checkout-${randomUUID()}`;
    const before = fakeStripe.sessionsCreated;
    const [a, b] = await Promise.all([
      client.post('/v1/credits/checkout', { packageId: 'plus' }, { 'idempotency-key': key }),
      client.post('/v1/credits/checkout', { packageId: 'plus' }, { 'idempotency-key': key }),
    ]);
    const c = await client.post('/v1/credits/checkout', { packageId: 'plus' }, { 'idempotency-key': key });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.sessionId, b.body.sessionId, c.body.sessionId]).size).toBe(1);
    expect(fakeStripe.sessionsCreated - before).toBe(1);
    const reuse = await client.post('/v1/credits/checkout', { packageId: 'pro' }, { 'idempotency-key': key });
    expect(reuse.status).toBe(409);
    expect(reuse.body.error.code).toBe('idempotency_key_reused');
  });

  it('rejects an unknown package, a malformed Idempotency-Key and anonymous callers, creating nothing', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const unknown = await client.post('/v1/credits/checkout', { packageId: 'gold-bars' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('package_not_found');
    const badKey = await client.post('/v1/credits/checkout', { packageId: 'starter' }, { 'idempotency-key': 'has spaces in it' });
    expect(badKey.status).toBe(400);
    expect(badKey.body.error.code).toBe('invalid_idempotency_key');
    expect((await client.post('/v1/credits/checkout', { packageId: 7 })).status).toBe(400);
    expect((await new HttpClient(api.baseUrl).post('/v1/credits/checkout', { packageId: 'starter' })).status).toBe(401);
    expect(await prisma.creditPurchase.count({ where: { accountId: user.id } })).toBe(0);
  });
});

describe('webhooks credit exactly once', () => {
  it('a paid checkout credits the account once, whether the event comes 5 times or as two different events', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const { sessionId } = await buy(client);
    const pi = `pi_${randomUUID()}`;
    const completed = paidSession(sessionId, pi);
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => deliver(completed)));
    for (const r of responses) expect(r.status).toBe(200);
    const async = event('checkout.session.async_payment_succeeded', { id: sessionId, object: 'checkout.session', payment_status: 'paid', payment_intent: pi });
    expect((await deliver(async)).status).toBe(200);

    await waitFor(async () => (await balanceOf(client)).available === 100, { what: 'the purchase to be credited' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // give any duplicate a chance to (wrongly) land
    expect(await balanceOf(client)).toEqual({ available: 100, reserved: 0, underReview: false });
    expect(await prisma.ledgerEntry.count({ where: { accountId: user.id, type: 'purchase' } })).toBe(1);
    await expectLedgerConsistent(prisma, user.id);

    const history = await client.get('/v1/credits/transactions');
    expect(history.body.items).toEqual([expect.objectContaining({ type: 'purchase', amount: 100, reservedAmount: 0 })]);
  });

  it('an unpaid checkout, or one that is not ours, credits nothing', async () => {
    const { client } = await signedUpClient(api.baseUrl);
    const { sessionId } = await buy(client);
    const unpaid = event('checkout.session.completed', { id: sessionId, object: 'checkout.session', payment_status: 'unpaid', payment_intent: null });
    expect((await deliver(unpaid)).status).toBe(200);
    expect((await deliver(paidSession(`cs_test_${randomUUID()}`, `pi_${randomUUID()}`))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await balanceOf(client)).available).toBe(0);
  });
});

describe('webhook security', () => {
  it.each([
    ['a wrong signature', 'invalid_signature', (e: object) => ({ ...signed(e), signature: 't=1,v1=deadbeef' })],
    ['a different secret', 'invalid_signature', (e: object) => signed(e, { secret: 'whsec_someone_else' })],
    ['a stale timestamp', 'invalid_signature', (e: object) => signed(e, { timestamp: Math.floor(Date.now() / 1000) - 3600 })],
    ['a missing signature', 'invalid_signature', (e: object) => ({ ...signed(e), signature: '' })],
    ['a tampered body', 'invalid_signature', (e: object) => ({ ...signed(e), payload: JSON.stringify({ ...e, id: 'evt_forged' }) })],
    ['a malformed (but signed) body', 'malformed_json', () => {
      const payload = '{"id": "evt_broken", "type": ';
      return { payload, signature: stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) };
    }],
  ])('%s → 400 %s and nothing changes', async (_label, code, make) => {
    const { client } = await signedUpClient(api.baseUrl);
    const { sessionId } = await buy(client);
    const e = paidSession(sessionId, `pi_${randomUUID()}`);
    const { payload, signature } = make(e);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature) headers['stripe-signature'] = signature;
    const res = await new HttpClient(api.baseUrl).post('/v1/webhooks/stripe', payload, headers);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(await prisma.stripeEvent.count({ where: { id: { in: [(e as { id: string }).id, 'evt_forged'] } } })).toBe(0);
    expect((await prisma.creditPurchase.findUniqueOrThrow({ where: { checkoutSessionId: sessionId } })).paidAt).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await balanceOf(client)).available).toBe(0);
  });
});

describe('refunds and disputes claw credits back', () => {
  it('a refund after the credits were partly spent floors the balance at 0, records the shortfall, flags the account and refuses paid runs', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const { sessionId } = await buy(client);
    const pi = `pi_${randomUUID()}`;
    await deliver(paidSession(sessionId, pi));
    await waitFor(async () => (await balanceOf(client)).available === 100, { what: 'credit' });

    const ledger = createLedger(prisma, { reservationTtlMs: 60_000 });
    const run = randomUUID();
    await ledger.reserve({ accountId: user.id, executionId: run, amount: 60 });
    await ledger.capture(run, 60);

    const refund = event('charge.refunded', { id: `ch_${randomUUID()}`, object: 'charge', payment_intent: pi, amount: 500, amount_refunded: 500 });
    expect((await deliver(refund)).status).toBe(200);
    expect((await deliver(refund)).status).toBe(200); // duplicate delivery
    await waitFor(async () => (await balanceOf(client)).underReview, { what: 'the account to be flagged' });
    expect(await balanceOf(client)).toEqual({ available: 0, reserved: 0, underReview: true });
    const account = await prisma.creditAccount.findUniqueOrThrow({ where: { userId: user.id } });
    expect(account.shortfall).toBe(60);
    await expectLedgerConsistent(prisma, user.id);
    const history = (await client.get('/v1/credits/transactions')).body.items;
    expect(history[0]).toMatchObject({ type: 'refund', amount: -40, shortfall: 60 });
    await expect(ledger.reserve({ accountId: user.id, executionId: randomUUID(), amount: 1 })).rejects.toMatchObject({
      code: 'account_under_review',
      message: expect.stringMatching(/under review/),
    });
  });

  it('a dispute that arrives before the checkout event is applied once the purchase lands (out of order is harmless)', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const { sessionId } = await buy(client, 'plus');
    const pi = `pi_${randomUUID()}`;
    const dispute = event('charge.dispute.created', { id: `dp_${randomUUID()}`, object: 'dispute', payment_intent: pi, charge: `ch_${randomUUID()}`, amount: 2000 });
    expect((await deliver(dispute)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await balanceOf(client)).available).toBe(0);

    await deliver(paidSession(sessionId, pi));
    await waitFor(async () => (await balanceOf(client)).underReview, { what: 'the dispute to be applied' });
    expect(await balanceOf(client)).toEqual({ available: 0, reserved: 0, underReview: true });
    const entries = await prisma.ledgerEntry.findMany({ where: { accountId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(entries.map((e) => [e.type, e.availableDelta])).toEqual([
      ['purchase', 500],
      ['dispute', -500],
    ]);
    await expectLedgerConsistent(prisma, user.id);
  });
});

describe('reading your own credits only', () => {
  it('each user sees only their own ledger', async () => {
    const alice = await signedUpClient(api.baseUrl, 'Alice');
    const bob = await signedUpClient(api.baseUrl, 'Bob');
    const { sessionId } = await buy(alice.client);
    await deliver(paidSession(sessionId, `pi_${randomUUID()}`));
    await waitFor(async () => (await balanceOf(alice.client)).available === 100, { what: 'credit' });
    expect((await bob.client.get('/v1/credits/transactions')).body).toEqual({ items: [], nextCursor: null });
    expect(await balanceOf(bob.client)).toEqual({ available: 0, reserved: 0, underReview: false });
    expect((await new HttpClient(api.baseUrl).get('/v1/credits')).status).toBe(401);
  });
});

describe('signed events that are malformed', () => {
  // A signature proves who sent an event, not its shape. Every malformed one names the payment intent of a real, paid
  // purchase, so if any were applied it would claw those credits back; a 400 must leave everything as it was.
  let buyer: HttpClient;
  let buyerId: string;
  let pi: string;
  beforeAll(async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    [buyer, buyerId, pi] = [client, user.id, `pi_${randomUUID()}`];
    const { sessionId } = await buy(client);
    expect((await deliver(paidSession(sessionId, pi))).status).toBe(200);
    await waitFor(async () => (await balanceOf(client)).available === 100, { what: 'the purchase to be credited' });
  });

  const uid = () => randomUUID().replace(/-/g, '');
  const refund = (amount_refunded: unknown, pi: string) => event('charge.refunded', { id: `ch_${uid()}`, object: 'charge', payment_intent: pi, amount: 500, amount_refunded });
  const dispute = (amount: unknown, pi: string) => event('charge.dispute.created', { id: `dp_${uid()}`, object: 'dispute', payment_intent: pi, amount });
  // [label, expected status, what the 400's message names, the signed body (given the buyer's payment intent)]
  const cases: [string, 400 | 200, string, (pi: string) => object][] = [
    ['an empty object', 400, 'id, type, data', () => ({})],
    ['no data', 400, 'data', () => ({ id: `evt_${uid()}`, type: 'charge.refunded' })],
    ['data without object', 400, 'data.object', () => ({ id: `evt_${uid()}`, type: 'charge.refunded', data: {} })],
    ['data.object null', 400, 'data.object', () => ({ id: `evt_${uid()}`, type: 'charge.refunded', data: { object: null } })],
    ['data.object an array', 400, 'data.object', () => ({ id: `evt_${uid()}`, type: 'charge.refunded', data: { object: [] } })],
    ['an event id that is a number', 400, 'id', (pi) => ({ ...refund(500, pi), id: 42 })],
    ['an event id with a NUL byte', 400, 'id', (pi) => ({ ...refund(500, pi), id: `evt_${uid()}\u0000` })],
    ['an empty type', 400, 'type', (pi) => ({ ...refund(500, pi), type: '' })],
    ['a refund of 1.5 cents', 400, 'amount_refunded', (pi) => refund(1.5, pi)],
    ['a refund of 1e12 cents', 400, 'amount_refunded', (pi) => refund(1e12, pi)],
    ['a refund of 2^31 cents', 400, 'amount_refunded', (pi) => refund(2 ** 31, pi)],
    ['a refund amount as text', 400, 'amount_refunded', (pi) => refund('100', pi)],
    ['a refund without amount_refunded', 400, 'amount_refunded', (pi) => refund(undefined, pi)],
    ['a refund whose charge id has a NUL byte', 400, 'id', (pi) => event('charge.refunded', { id: 'ch_\u0000', payment_intent: pi, amount_refunded: 500 })],
    ['a refund whose payment_intent is a number', 400, 'payment_intent', () => event('charge.refunded', { id: `ch_${uid()}`, payment_intent: 7, amount_refunded: 500 })],
    ['a dispute of -5 cents', 400, 'amount', (pi) => dispute(-5, pi)],
    ['a dispute amount of null', 400, 'amount', (pi) => dispute(null, pi)],
    ['a checkout session without id', 400, 'id', (pi) => event('checkout.session.completed', { object: 'checkout.session', payment_status: 'paid', payment_intent: pi })],
    ['a checkout session whose payment_intent.id is a number', 400, 'payment_intent', () => event('checkout.session.completed', { id: `cs_${uid()}`, payment_status: 'paid', payment_intent: { id: 5 } })],
    ['an unknown type whose object id is a number', 200, '', () => event('customer.created', { id: 12345 })],
    ['an unknown type whose object id is 256 characters', 200, '', () => event('customer.created', { id: `cus_${'x'.repeat(252)}` })],
    ['an unknown type whose object id has a NUL byte', 200, '', () => event('customer.created', { id: 'cus_\u0000' })],
  ];

  it.each(cases)('%s → %d, never a 5xx, and nothing changes', async (_label, status, names, make) => {
    const body = make(pi) as { id?: unknown; type?: unknown };
    const eventsBefore = await prisma.stripeEvent.count(); // only this file writes stripe_events, one test at a time
    const logsBefore = api.logLines.length;
    const res = await deliver(body);
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(res.body.error.code).toBe('malformed_event');
      expect(res.body.error.message).toContain(names);
      expect(await prisma.stripeEvent.count()).toBe(eventsBefore);
    } else {
      expect(await prisma.stripeEvent.findUniqueOrThrow({ where: { id: body.id as string } })).toMatchObject({ type: body.type, objectId: '' });
    }
    expect(await prisma.creditClawback.count({ where: { paymentIntentId: pi } })).toBe(0);
    expect(await balanceOf(buyer)).toEqual({ available: 100, reserved: 0, underReview: false });
    expect(await prisma.ledgerEntry.count({ where: { accountId: buyerId } })).toBe(1);
    // What is logged names the event and the fields at fault, never the payload.
    const logged = api.logLines.slice(logsBefore).join('\n');
    expect(logged).not.toContain(pi);
  });

  it('a refused object is logged as a warning with the event id and the paths at fault only', async () => {
    const body = refund(1e12, pi);
    const logsBefore = api.logLines.length;
    expect((await deliver(body)).status).toBe(400);
    const warnings = api.logLines
      .slice(logsBefore)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'stripe event refused: malformed object');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, stripeEventId: body.id, invalid: 'amount_refunded' })]);
    expect(JSON.stringify(warnings)).not.toMatch(/1000000000000|ch_|pi_/);
  });
});
