// Input samples over HTTP (API.md "Creators"): the creator of a tool reads
// redacted inputs of consenting, unrestricted users; anyone else gets 404.
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import type { InputSampleService } from './service';
import { InputSamples, SamplesQuery } from './schemas';

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
    responses: { 200: InputSamples },
    errors: ['not_found'],
    handler: async ({ principal, params, query }) => ({ status: 200, body: { items: await samples.samples(principal.userId, params.id, query.limit) } }),
  });
}
