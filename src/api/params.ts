import type { Request } from 'express';
import { z } from '../zod';
import { DomainError } from '../errors';

/** `:id` path parameter: a UUID (a malformed id is a 400 validation_failed; an unknown one a 404). */
export const idParams = z.object({ id: z.string().uuid() }).strict();

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The optional Idempotency-Key header of a POST that creates or charges; 400 when malformed. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.header('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new DomainError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return key;
}
