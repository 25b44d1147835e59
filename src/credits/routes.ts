// HTTP routes of credits: balance and ledger, packages, Stripe Checkout and
// its webhook, and operators' adjustments.
import { z } from '../zod';
import type { RouteRegistrar } from '../api/router';
import { idempotencyKeyOf } from '../api/params';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { CreditsService } from './service';
import type { AdjustmentService } from './adjustments';
import { DomainError } from '../errors';
import { AdjustmentBody, Adjustment, Balance, Checkout, CheckoutBody, Entry, Package, StripeEvent, WebhookReceipt } from './schemas';
import { adjustmentView, ledgerEntryView } from './views';

export function registerCreditRoutes(route: RouteRegistrar, credits: CreditsService, adjustments: AdjustmentService) {
  route({
    method: 'post',
    path: '/v1/admin/credit-adjustments',
    summary: 'Add or take back credits without Stripe, with a reason (admin; Idempotency-Key required)',
    tags: ['staff'],
    access: ['admin'],
    body: AdjustmentBody,
    responses: { 200: Adjustment, 201: Adjustment },
    errors: ['idempotency_key_required', 'invalid_idempotency_key', 'not_found', 'adjustment_exceeds_balance', 'idempotency_key_reused'],
    handler: async ({ req, principal, body }) => {
      const key = idempotencyKeyOf(req);
      if (!key) throw new DomainError('idempotency_key_required', 'send an Idempotency-Key header, so a retried adjustment is applied once');
      const operator = `user:${principal.userId}`;
      const { adjustment, created, balance } = await adjustments.adjust(body.userId, {
        credits: body.credits,
        reason: body.reason,
        operator,
        requestKey: `api:${principal.userId}:${key}`,
      });
      return { status: created ? 201 : 200, body: adjustmentView(adjustment, balance) };
    },
  });

  route({
    method: 'get',
    path: '/v1/credits',
    summary: 'Your balance: available and reserved credits',
    tags: ['credits'],
    access: 'user',
    responses: { 200: Balance },
    handler: async ({ principal }) => ({ status: 200, body: await credits.balance(principal.userId) }),
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
        (after, limit) => credits.listEntries(principal.userId, after, limit),
        ledgerEntryView,
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
    errors: ['package_not_found', 'invalid_idempotency_key', 'idempotency_key_reused', 'payments_unavailable', 'payment_provider_error'],
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
    body: StripeEvent,
    responses: { 200: WebhookReceipt },
    errors: ['invalid_signature', 'malformed_json', 'malformed_body', 'payload_too_large', 'malformed_event', 'payments_unavailable'],
    handler: async ({ req, body }) => ({
      status: 200,
      body: await credits.receiveWebhook(body as unknown as Buffer, req.header('stripe-signature')),
    }),
  });
}
