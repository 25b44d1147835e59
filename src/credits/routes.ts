// HTTP routes of credits: balance and ledger, packages, Stripe Checkout and
// its webhook, and operators' adjustments.
import { z } from '../zod';
import type { RouteRegistrar } from '../api/router';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { CreditsService } from './service';
import type { AdjustmentService } from './adjustments';
import { AdjustmentBody, Adjustment, Balance, Checkout, CheckoutBody, Entry, Package, StripeEvent, WebhookReceipt } from './schemas';
import { adjustmentView, ledgerEntryView } from './views';

export function registerCreditRoutes(route: RouteRegistrar, credits: CreditsService, adjustments: AdjustmentService) {
  route({
    method: 'post',
    path: '/v1/admin/credit-adjustments',
    operationId: 'adjustCredits',
    summary: 'Add or take back credits without Stripe, with a reason (admin; Idempotency-Key required)',
    tags: ['staff'],
    access: ['admin'],
    body: AdjustmentBody,
    idempotencyKey: 'required',
    responses: { 200: { schema: Adjustment, description: 'Already applied with this Idempotency-Key' }, 201: Adjustment },
    errors: ['not_found', 'adjustment_exceeds_balance', 'idempotency_key_reused'],
    handler: async ({ principal, body, idempotencyKey }) => {
      const key = idempotencyKey as string;
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
    operationId: 'getCreditBalance',
    summary: 'Your balance: available and reserved credits',
    tags: ['credits'],
    access: 'user',
    responses: { 200: Balance },
    handler: async ({ principal }) => ({ status: 200, body: await credits.balance(principal.userId) }),
  });

  route({
    method: 'get',
    path: '/v1/credits/transactions',
    operationId: 'listCreditTransactions',
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
    operationId: 'listCreditPackages',
    summary: 'Credit packages for sale (a short fixed list: a plain array, not paginated)',
    tags: ['credits'],
    access: 'public',
    responses: { 200: z.array(Package) },
    handler: async () => ({ status: 200, body: credits.packages() }),
  });

  route({
    method: 'post',
    path: '/v1/credits/checkout',
    operationId: 'startCheckout',
    summary: 'Start a Stripe Checkout for a package (honours Idempotency-Key)',
    tags: ['credits'],
    access: 'user',
    body: CheckoutBody,
    responses: { 201: Checkout },
    idempotencyKey: 'optional',
    errors: ['package_not_found', 'idempotency_key_reused', 'payments_unavailable', 'payment_provider_error'],
    handler: async ({ principal, body, idempotencyKey }) => {
      return { status: 201, body: await credits.createCheckout(principal.userId, body.packageId, idempotencyKey) };
    },
  });

  route({
    method: 'post',
    path: '/v1/webhooks/stripe',
    operationId: 'receiveStripeEvent',
    summary: 'Stripe events (raw body, Stripe-Signature verified)',
    tags: ['credits'],
    access: 'public',
    rawBody: true,
    body: StripeEvent,
    headers: { 'Stripe-Signature': { description: "Stripe's signature of the exact body bytes (t=...,v1=...)", required: true } },
    responses: { 200: WebhookReceipt },
    errors: ['invalid_signature', 'malformed_json', 'malformed_body', 'payload_too_large', 'malformed_event', 'payments_unavailable'],
    handler: async ({ req, body }) => ({
      status: 200,
      body: await credits.receiveWebhook(body as unknown as Buffer, req.header('stripe-signature')),
    }),
  });
}
