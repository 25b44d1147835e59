// Request and response shapes of the erasure routes (they also make the OpenAPI document).
import { z, timestamp } from '../zod';

export const ErasureAccepted = z
  .object({
    requestId: z.string().uuid(),
    dueAt: timestamp().openapi({ description: 'the account is erased by then (ERASURE_DEADLINE after the request)' }),
    graceEndsAt: timestamp().openapi({ description: 'until then the request can be cancelled (DELETE /v1/privacy/erasure/{requestId}); erasure begins then' }),
  })
  .openapi('ErasureAccepted');

export const RequestIdParams = z.object({ requestId: z.string().uuid() }).strict();
