// Request and response shapes of the provider-key routes.
import { z, text, timestamp } from '../zod';

export const AddProviderKeyBody = z
  .object({
    provider: z.literal('openai'),
    apiKey: z
      .string()
      .regex(/^sk-[A-Za-z0-9_-]{20,200}$/, 'an OpenAI key looks like sk-… (letters, digits, - and _)'),
    label: text({ min: 1, max: 100, trim: true }).optional(),
  })
  .strict()
  .openapi('AddProviderKeyRequest');

export const ProviderKey = z
  .object({ id: z.string().uuid(), provider: z.string(), label: z.string().nullable(), masked: z.string(), createdAt: timestamp() })
  .openapi('ProviderKey');
