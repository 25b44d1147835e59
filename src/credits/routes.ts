import { z } from '../api/zod';
import type { RouteRegistrar } from '../api/router';
import { idempotencyKeyOf } from '../api/params';
import { pageOf, pageQuery, readPage } from '../api/pagination';
import type { Ledger } from './ledger';
import type { CreditsService } from './service';
import type { AdjustmentService } from './adjustments';
import { AppError } from '../api/errors';

const Balance = z.object({ available: z.number().int(), reserved: z.number().int(), underReview: z.boolean() }).openapi('CreditBalance');
const Package = z.object({ id: z.string(), credits: z.number().int(), priceCents: z.number().int(), currency: z.string() }).openapi('CreditPackage');
const Entry = z
  .object({
    id: z.string().uuid(),
    type: z.enum(['purchase', 'reservation', 'capture', 'release', 'refund', 'dispute', 'adjustment']),
    amount: z.number().int().openapi({ description: 'change of the available balance' }),
    reservedAmount: z.number().int().openapi({ description: 'change of the reserved balance' }),
    shortfall: z.number().int().optional().openapi({ description: 'credits a refund or dispute could not take back' }),
    toolId: z.string().uuid().nullable(),
    executionId: z.string().uuid().nullable(),
    createdAt: z.date(),
  })
  .openapi('LedgerEntry');
const CheckoutBody = z.object({ packageId: z.string().min(1).max(40) }).strict().openapi('CheckoutRequest');
const AdjustmentBody = z
  .object({
    userId: z.string().uuid(),
    credits: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((n) => n !== 0, 'an adjustment moves at least one credit')
      .openapi({ description: 'credits to add (negative: to take back; never below a zero balance)' }),
    reason: z.string().trim().min(3).max(500),
  })
  .strict()
  .openapi('CreditAdjustmentRequest');
const Adjustment = z
  .object({
    id: z.string().uuid(),
    userId: z.string().uuid(),
    credits: z.number().int(),
    reason: z.string(),
    operator: z.string(),
    createdAt: z.date(),
    balance: z.object({ available: z.number().int(), reserved: z.number().int() }),
  })
  .openapi('CreditAdjustment');
const Checkout = z.object({ sessionId: z.string(), url: z.string().url() });

export function registerCreditRoutes(route: RouteRegistrar, credits: CreditsService, ledger: Ledger, adjustments: AdjustmentService) {
  route({
    method: 'post',
    path: '/v1/admin/credit-adjustments',
    summary: 'Add or take back credits without Stripe, with a reason (admin; Idempotency-Key required)',
    tags: ['staff'],
    access: ['admin'],
    body: AdjustmentBody,
    responses: { 200: Adjustment, 201: Adjustment },
    errors: { 400: 'validation_failed | idempotency_key_required', 404: 'not_found', 409: 'adjustment_exceeds_balance | idempotency_key_reused' },
    handler: async ({ req, principal, body }) => {
      const key = idempotencyKeyOf(req);
      if (!key) throw new AppError(400, 'idempotency_key_required', 'send an Idempotency-Key header, so a retried adjustment is applied once');
      const operator = `user:${principal.userId}`;
      const { adjustment, created, balance } = await adjustments.adjust(body.userId, {
        credits: body.credits,
        reason: body.reason,
        operator,
        requestKey: `api:${principal.userId}:${key}`,
      });
      return {
        status: created ? 201 : 200,
        body: { ...adjustment, userId: adjustment.accountId, balance: { available: balance.available, reserved: balance.reserved } },
      };
    },
  });

  route({
    method: 'get',
    path: '/v1/credits',
    summary: 'Your balance: available and reserved credits',
    tags: ['credits'],
    access: 'user',
    responses: { 200: Balance },
    handler: async ({ principal }) => ({ status: 200, body: await ledger.balance(principal.userId) }),
  });

  route({
    method: 'get',
    path: '/v1/credits/transactions',
    summary: 'Your ledger entries, newest first',
    tags: ['credits'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(Entry) },
    handler: async ({ principal, query }) => {
      const body = await readPage(
        query,
        (after, limit) => ledger.listEntries(principal.userId, after, limit),
        (e) => ({
          id: e.id,
          type: e.type,
          amount: e.availableDelta,
          reservedAmount: e.reservedDelta,
          ...(e.shortfall ? { shortfall: e.shortfall } : {}),
          toolId: e.toolId,
          executionId: e.executionId,
          createdAt: e.createdAt,
        }),
      );
      return { status: 200, body };
    },
  });

  route({
    method: 'get',
    path: '/v1/credits/packages',
    summary: 'Credit packages for sale (a short fixed list: a plain array, not paginated)',
    tags: ['credits'],
    access: 'public',
    responses: { 200: z.array(Package) },
    handler: async () => ({ status: 200, body: credits.packages() }),
  });

  route({
    method: 'post',
    path: '/v1/credits/checkout',
    summary: 'Start a Stripe Checkout for a package (honours Idempotency-Key)',
    tags: ['credits'],
    access: 'user',
    body: CheckoutBody,
    responses: { 201: Checkout },
    errors: { 404: 'package_not_found', 409: 'idempotency_key_reused', 503: 'payments_unavailable' },
    handler: async ({ req, principal, body }) => {
      const key = idempotencyKeyOf(req);
      return { status: 201, body: await credits.createCheckout(principal.userId, body.packageId, key) };
    },
  });

  route({
    method: 'post',
    path: '/v1/webhooks/stripe',
    summary: 'Stripe events (raw body, Stripe-Signature verified)',
    tags: ['credits'],
    access: 'public',
    rawBody: true,
    body: z.object({ id: z.string(), type: z.string() }).passthrough().openapi('StripeEvent'),
    responses: { 200: z.object({ received: z.literal(true), duplicate: z.boolean() }) },
    errors: { 400: 'invalid_signature | malformed_json | malformed_event', 503: 'payments_unavailable' },
    handler: async ({ req, body }) => ({
      status: 200,
      body: await credits.receiveWebhook(body as unknown as Buffer, req.header('stripe-signature')),
    }),
  });
}
