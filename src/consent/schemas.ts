// Request and response shapes of restriction, objections and the unsubscribe link.
import { z, timestamp } from '../zod';

export const PrivacyChoices = z
  .object({
    restricted: z.boolean().openapi({ description: 'processing restricted: left out of analytics, creator input sharing and marketing' }),
    objections: z
      .object({ analytics: z.boolean(), creatorSharing: z.boolean(), marketing: z.boolean() })
      .openapi({ description: '`true`: the user objects to this purpose' }),
  })
  .openapi('PrivacyChoices');

export const RestrictionBody = z.object({ restricted: z.boolean() }).strict().openapi('RestrictionRequest');

export const ObjectionsBody = z
  .object({ analytics: z.boolean().optional(), creatorSharing: z.boolean().optional(), marketing: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one purpose')
  .openapi('ObjectionsRequest', { minProperties: 1, description: '`true` means the user objects; purposes left out stay as they are' });

export const PrivacyChoicesChanged = PrivacyChoices.extend({
  requestId: z.string().uuid().openapi({ description: 'the privacy request recording this (completed at once)' }),
}).openapi('PrivacyChoicesChanged');

export const UnsubscribeQuery = z
  .object({ token: z.string().min(1).max(1000).openapi({ description: 'the signed token from the mail' }) })
  .strict();

export const OneClickBody = z
  .object({ 'List-Unsubscribe': z.literal('One-Click') })
  .strict()
  .openapi('OneClickUnsubscribe', { description: 'RFC 8058 one-click body, sent as application/x-www-form-urlencoded' });

export const Unsubscribed = z
  .object({ unsubscribed: z.literal(true), purpose: z.literal('marketing'), at: timestamp() })
  .openapi('Unsubscribed');
