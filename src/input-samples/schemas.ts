// Request and response shapes of the input-samples route (they also make the OpenAPI document).
import { z } from '../zod';
import { MAX_SAMPLES } from './service';

export const SamplesQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(MAX_SAMPLES).default(20).openapi({ description: `how many samples, newest day first (1 to ${MAX_SAMPLES})` }) })
  .strict();

export const InputSample = z
  .object({
    day: z.string().openapi({ description: 'the UTC day of the run (no finer time is given)', format: 'date', example: '2026-11-27' }),
    inputs: z.record(z.unknown()).openapi({
      description: 'the inputs as the user gave them, with personal data replaced by [email], [phone], [card], [ip], [iban] or [name]',
      example: { who: 'my colleague [name] ([email])', language: 'en' },
    }),
  })
  .openapi('InputSample');

export const InputSamples = z.object({ items: z.array(InputSample) }).openapi('InputSamples');
