// Request and response shapes of the credits routes.
import { z, text, timestamp } from '../zod';

export const Balance = z.object({ available: z.number().int(), reserved: z.number().int(), underReview: z.boolean() }).openapi('CreditBalance');
export const Package = z.object({ id: z.string(), credits: z.number().int(), priceCents: z.number().int(), currency: z.string() }).openapi('CreditPackage');
export const Entry = z
  .object({
    id: z.string().uuid(),
    type: z.enum(['purchase', 'reservation', 'capture', 'release', 'refund', 'dispute', 'adjustment']),
    amount: z.number().int().openapi({ description: 'change of the available balance' }),
    reservedAmount: z.number().int().openapi({ description: 'change of the reserved balance' }),
    shortfall: z.number().int().optional().openapi({ description: 'credits a refund or dispute could not take back' }),
    toolId: z.string().uuid().nullable(),
    executionId: z.string().uuid().nullable(),
    createdAt: timestamp(),
  })
  .openapi('LedgerEntry');
export const CheckoutBody = z.object({ packageId: text({ min: 1, max: 40 }) }).strict().openapi('CheckoutRequest', { example: { packageId: 'starter' } });
export const AdjustmentBody = z
  .object({
    userId: z.string().uuid(),
    credits: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((n) => n !== 0, 'an adjustment moves at least one credit')
      .openapi({ description: 'credits to add (negative: to take back; never below a zero balance); not 0', ...({ not: { const: 0 } } as object) }),
    reason: text({ min: 3, max: 500, trim: true }),
  })
  .strict()
  .openapi('CreditAdjustmentRequest');
export const Adjustment = z
  .object({
    id: z.string().uuid(),
    userId: z.string().uuid(),
    credits: z.number().int(),
    reason: z.string(),
    operator: z.string(),
    createdAt: timestamp(),
    balance: z.object({ available: z.number().int(), reserved: z.number().int() }),
  })
  .openapi('CreditAdjustment');
export const Checkout = z.object({ sessionId: z.string(), url: z.string().url() }).openapi('Checkout');

export const StripeEvent = z.object({ id: z.string(), type: z.string() }).passthrough().openapi('StripeEvent');
export const WebhookReceipt = z.object({ received: z.literal(true), duplicate: z.boolean() }).openapi('WebhookReceipt');
