// Input samples over HTTP (API.md "Creators"): the creator of a tool reads
// redacted inputs of consenting, unrestricted users; anyone else gets 404.
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { z } from '../zod';
import { MAX_SAMPLES, type InputSampleService } from './service';

const SamplesQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(MAX_SAMPLES).default(20).openapi({ description: `how many samples, newest day first (1 to ${MAX_SAMPLES})` }) })
  .strict();

const InputSample = z
  .object({
    day: z.string().openapi({ description: 'the UTC day of the run (no finer time is given)', format: 'date', example: '2026-11-27' }),
    inputs: z.record(z.unknown()).openapi({
      description: 'the inputs as the user gave them, with personal data replaced by [email], [phone], [card], [ip], [iban] or [name]',
      example: { who: 'my colleague [name] ([email])', language: 'en' },
    }),
  })
  .openapi('InputSample');

export function registerInputSampleRoutes(route: RouteRegistrar, samples: InputSampleService) {
  route({
    method: 'get',
    path: '/v1/creator/tools/:id/input-samples',
    operationId: 'getToolInputSamples',
    summary: "Redacted inputs of your tool's recent runs, from users who neither objected to sharing with creators nor restricted processing",
    description:
      'Never the user, the run, a time finer than the day, or the output. Emails, phone numbers, payment card numbers, IP addresses, IBANs ' +
      "and the user's own name and email are replaced by a marker. Samples disappear when their run is deleted (90 days) or the user objects.",
    tags: ['creators'],
    access: 'user',
    params: idParams,
    query: SamplesQuery,
    responses: { 200: z.object({ items: z.array(InputSample) }).openapi('InputSamples') },
    errors: ['not_found'],
    handler: async ({ principal, params, query }) => ({ status: 200, body: { items: await samples.samples(principal.userId, params.id, query.limit) } }),
  });
}
