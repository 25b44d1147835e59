// Erasure over HTTP: ask (fresh proof needed), and cancel within the grace period.
import type { RouteRegistrar } from '../api/router';
import type { ErasureService } from './service';
import { ErasureAccepted, RequestIdParams } from './schemas';

export function registerErasureRoutes(route: RouteRegistrar, erasure: ErasureService) {
  route({
    method: 'post',
    path: '/v1/privacy/erasure',
    operationId: 'requestErasure',
    summary: 'Ask for your account and its personal data to be erased',
    description:
      'Starts the erasure: after a grace period (ERASURE_GRACE, 7 days by default) in which you can cancel, you are signed out everywhere, ' +
      'your runs are stopped, the key that encrypts your data is destroyed, and everything personal is deleted; the financial records stay under a random pseudonym. ' +
      'A confirmation is mailed to your address. A second request while one is open answers 200 with the same request.',
    tags: ['privacy'],
    access: 'user',
    freshProof: true,
    responses: {
      202: { schema: ErasureAccepted, description: 'Erasure requested: the grace period has begun' },
      200: { schema: ErasureAccepted, description: 'An erasure was already requested: this is that request' },
    },
    handler: async ({ principal }) => {
      const result = await erasure.request(principal.userId);
      return { status: result.created ? 202 : 200, body: result };
    },
  });

  route({
    method: 'delete',
    path: '/v1/privacy/erasure/:requestId',
    operationId: 'cancelErasure',
    summary: 'Cancel your erasure request while its grace period lasts',
    tags: ['privacy'],
    access: 'user',
    params: RequestIdParams,
    responses: { 204: { schema: null, description: 'Cancelled: nothing was or will be erased' } },
    errors: ['not_found', 'erasure_in_progress'],
    handler: async ({ principal, params }) => {
      await erasure.cancel(principal.userId, params.requestId);
      return { status: 204 };
    },
  });
}
