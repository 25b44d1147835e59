// Buying credits: Stripe Checkout sessions out, Stripe webhook events in.
// The webhook only verifies, records and hands over: crediting and clawing
// back run in workflows (src/credits/workflows.ts) over the idempotent ledger.
import type { PrismaClient } from '@prisma/client';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type Stripe from 'stripe';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { Ledger } from './ledger';
import { claimIdempotencyKey } from '../idempotency';
import { DomainError } from '../errors';
import { z } from '../zod';
import { creditWorkflowIds } from './contract';
import { clawBackCreditsWorkflow, purchaseCreditsWorkflow } from './workflows';

export interface CreditsServiceDeps {
  config: Pick<Config, 'CREDIT_PACKAGES' | 'PUBLIC_APP_URL' | 'STRIPE_WEBHOOK_SECRET' | 'TEMPORAL_TASK_QUEUE'>;
  prisma: PrismaClient;
  ledger: Ledger;
  temporal: Client;
  stripe: Stripe | undefined;
  logger: Logger;
}

// Every signed event is checked before use: a signature proves who sent it, not that it has the shape we read.
// A malformed one is a 400 and changes nothing (Stripe shows the failed delivery); it never reaches the database.
// Postgres text cannot hold NUL, so an id carrying one would fail in the query (a 500 that Stripe retries for days).
const id255 = z.string().min(1).max(255).refine((s) => !s.includes('\u0000'), 'contains a NUL character');
const paymentIntentRef = z.union([id255, z.object({ id: id255 }).passthrough(), z.null()]).optional();
const cents = z.number().int().min(0).max(2_147_483_647);
const EventEnvelope = z.object({ id: id255, type: id255, data: z.object({ object: z.record(z.unknown()) }) });
const EVENT_OBJECTS = {
  checkout: z.object({ id: id255, payment_status: z.string().max(64), payment_intent: paymentIntentRef }).passthrough(),
  charge: z.object({ id: id255, payment_intent: paymentIntentRef, amount_refunded: cents }).passthrough(),
  dispute: z.object({ id: id255, payment_intent: paymentIntentRef, amount: cents }).passthrough(),
};
const malformedEvent = (problem: string) => new DomainError('malformed_event', `the event is not one we can apply: ${problem}`);
const issuePaths = (err: z.ZodError) => err.issues.map((i) => i.path.join('.') || '(root)').join(', ');

const paymentsUnavailable = () => new DomainError('payments_unavailable', 'payments are not configured on this server');

export function createCreditsService({ config, prisma, ledger, temporal, stripe, logger }: CreditsServiceDeps) {
  async function startOnce(start: () => Promise<unknown>) {
    try {
      await start();
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err; // a duplicate trigger: the first run handles it
    }
  }

  async function onCheckoutPaid(session: Stripe.Checkout.Session) {
    if (session.payment_status !== 'paid') return 'ignored: not paid yet';
    const paymentIntentId = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
    const purchase = await prisma.creditPurchase.findUnique({ where: { checkoutSessionId: session.id } });
    if (!purchase) return 'ignored: not a checkout of ours';
    if (!purchase.paidAt) {
      await prisma.creditPurchase.update({ where: { checkoutSessionId: session.id }, data: { paidAt: new Date(), paymentIntentId } });
    }
    await startOnce(() =>
      temporal.workflow.start(purchaseCreditsWorkflow, {
        workflowId: creditWorkflowIds.purchase(session.id),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [session.id],
      }),
    );
    return 'purchase started';
  }

  async function onClawback(eventId: string, kind: 'refund' | 'dispute', objectId: string, paymentIntent: string | { id: string } | null, amountCents: number) {
    const paymentIntentId = typeof paymentIntent === 'string' ? paymentIntent : paymentIntent?.id;
    if (!paymentIntentId) return 'ignored: no payment intent';
    // Refund events carry the cumulative amount refunded on the charge: keep the largest seen.
    await prisma.$executeRaw`
      INSERT INTO credit_clawbacks (stripe_object_id, kind, payment_intent_id, amount_cents)
      VALUES (${objectId}, ${kind}, ${paymentIntentId}, ${amountCents})
      ON CONFLICT (stripe_object_id) DO UPDATE SET amount_cents = GREATEST(credit_clawbacks.amount_cents, EXCLUDED.amount_cents)`;
    await startOnce(() =>
      temporal.workflow.start(clawBackCreditsWorkflow, {
        workflowId: creditWorkflowIds.clawback(eventId),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [paymentIntentId],
      }),
    );
    return `${kind} recorded`;
  }

  return {
    packages: () => config.CREDIT_PACKAGES,

    /** The account's balance: available and reserved credits, and whether paid runs are paused. */
    balance: (accountId: string) => ledger.balance(accountId),

    /** The account's ledger, newest first (keyset pagination). */
    listEntries: (accountId: string, after: object, limit: number) => ledger.listEntries(accountId, after, limit),

    async createCheckout(accountId: string, packageId: string, requestKey: string | undefined) {
      const pkg = config.CREDIT_PACKAGES.find((p) => p.id === packageId);
      if (!pkg) throw new DomainError('package_not_found', `no credit package "${packageId}"`);
      const claim = await claimIdempotencyKey({
        key: requestKey,
        find: () => prisma.creditPurchase.findUnique({ where: { accountId_requestKey: { accountId, requestKey: requestKey ?? '' } } }),
        sameRequest: (earlier) => earlier.packageId === packageId,
        create: async () => {
          if (!stripe) throw paymentsUnavailable();
          // With a key, Stripe itself answers a retried create with the same session.
          const session = await stripe.checkout.sessions.create(
            {
              mode: 'payment',
              line_items: [
                { quantity: 1, price_data: { currency: pkg.currency, unit_amount: pkg.priceCents, product_data: { name: `${pkg.credits} Sotally credits` } } },
              ],
              success_url: `${config.PUBLIC_APP_URL}/credits?checkout=success`,
              cancel_url: `${config.PUBLIC_APP_URL}/credits?checkout=cancelled`,
              client_reference_id: accountId,
              metadata: { accountId, packageId },
              payment_intent_data: { metadata: { accountId, packageId } },
            },
            requestKey ? { idempotencyKey: `checkout:${accountId}:${requestKey}` } : undefined,
          );
          if (!session.url) throw new DomainError('payment_provider_error', 'Stripe returned no checkout URL');
          return prisma.creditPurchase.create({
            data: {
              checkoutSessionId: session.id,
              accountId,
              packageId,
              credits: pkg.credits,
              amountCents: pkg.priceCents,
              currency: pkg.currency,
              requestKey: requestKey ?? null,
              checkoutUrl: session.url,
            },
          });
        },
      });
      const purchase = 'replay' in claim ? claim.replay : claim.created;
      return { sessionId: purchase.checkoutSessionId, url: purchase.checkoutUrl };
    },

    /** Verifies the signature (400 if invalid) and applies the event at most once. */
    async receiveWebhook(rawBody: Buffer, signature: string | undefined) {
      if (!stripe || !config.STRIPE_WEBHOOK_SECRET) throw paymentsUnavailable();
      if (!signature) throw new DomainError('invalid_signature', 'the Stripe-Signature header is missing');
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, config.STRIPE_WEBHOOK_SECRET);
      } catch (err) {
        // The signature is checked first; a payload that passes it but is not JSON is malformed.
        if (err instanceof SyntaxError) throw new DomainError('malformed_json', 'the event body is not valid JSON');
        throw new DomainError('invalid_signature', 'the Stripe signature does not match this payload');
      }
      const envelope = EventEnvelope.safeParse(event);
      if (!envelope.success) {
        logger.warn({ invalid: issuePaths(envelope.error) }, 'stripe event refused: malformed envelope');
        throw malformedEvent(`missing or invalid ${issuePaths(envelope.error)}`);
      }
      if (await prisma.stripeEvent.findUnique({ where: { id: event.id } })) return { received: true, duplicate: true };
      const objectOf = <T extends z.ZodTypeAny>(schema: T): z.infer<T> => {
        const parsed = schema.safeParse(event.data.object);
        if (!parsed.success) {
          // The event id and the paths at fault only: never the payload.
          logger.warn({ stripeEventId: event.id, invalid: issuePaths(parsed.error) }, 'stripe event refused: malformed object');
          throw malformedEvent(`invalid ${issuePaths(parsed.error)} in data.object`);
        }
        return parsed.data;
      };

      let outcome: string;
      switch (event.type) {
        case 'checkout.session.completed':
        case 'checkout.session.async_payment_succeeded':
          outcome = await onCheckoutPaid(objectOf(EVENT_OBJECTS.checkout) as unknown as Stripe.Checkout.Session);
          break;
        case 'charge.refunded': {
          const charge = objectOf(EVENT_OBJECTS.charge);
          outcome = await onClawback(event.id, 'refund', charge.id, charge.payment_intent ?? null, charge.amount_refunded);
          break;
        }
        case 'charge.dispute.created': {
          const dispute = objectOf(EVENT_OBJECTS.dispute);
          outcome = await onClawback(event.id, 'dispute', dispute.id, dispute.payment_intent ?? null, dispute.amount);
          break;
        }
        default:
          outcome = 'ignored: not an event we act on';
      }
      // Recorded last: if anything above failed, Stripe's retry finds the event unapplied (every step is idempotent).
      // The object's id only if it is a usable id (an unknown type's object may hold anything), else ''.
      const objectIdValue = id255.safeParse((event.data.object as { id?: unknown }).id);
      const objectId = objectIdValue.success ? objectIdValue.data : '';
      await prisma.stripeEvent.createMany({ data: [{ id: event.id, type: event.type, objectId }], skipDuplicates: true });
      logger.info({ stripeEventId: event.id, type: event.type, outcome }, 'stripe event applied');
      return { received: true, duplicate: false };
    },
  };
}

export type CreditsService = ReturnType<typeof createCreditsService>;
