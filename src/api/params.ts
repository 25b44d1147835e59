import { z } from '../zod';

/** `:id` path parameter: a UUID (a malformed id is a 400 validation_failed; an unknown one a 404). */
export const idParams = z.object({ id: z.string().uuid() }).strict();
