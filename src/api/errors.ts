// One error model for every route: {"error": {"code", "message", "details"?}}.
// Handlers and services throw DomainError (or let zod / Prisma / body-parser
// errors through); the single error handler below maps them to a status with
// HTTP_STATUS and never leaks internals.
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { Prisma } from '@prisma/client';
import type { Logger } from '../logger';
import { requestContext } from '../logger';
import { DomainError, type ErrorCode } from '../errors';

/** The one table from error code to HTTP status. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  validation_failed: 400,
  malformed_json: 400,
  malformed_body: 400,
  request_aborted: 400,
  unexpected_body: 400,
  body_required: 400,
  invalid_cursor: 400,
  invalid_idempotency_key: 400,
  idempotency_key_required: 400,
  invalid_input_schema: 400,
  invalid_prompt_template: 400,
  invalid_signature: 400,
  unsubscribe_link_invalid: 400,
  unsubscribe_link_expired: 400,
  malformed_event: 400,
  unauthenticated: 401,
  invalid_token: 401,
  invalid_credentials: 401,
  reauth_code_invalid: 401,
  reauth_code_expired: 401,
  insufficient_credits: 402,
  account_under_review: 402,
  forbidden: 403,
  csrf_token_invalid: 403,
  reauthentication_required: 403,
  not_found: 404,
  route_not_found: 404,
  package_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  email_taken: 409,
  idempotency_key_reused: 409,
  execution_running: 409,
  execution_expired: 410,
  export_not_ready: 409,
  export_expired: 410,
  export_failed: 409,
  erasure_in_progress: 409,
  access_reason_required: 400,
  discovered_in_future: 422,
  incident_exists: 409,
  incident_closed: 409,
  incident_retracted: 409,
  incident_open_steps: 409,
  unsubscribe_link_used: 409,
  adjustment_exceeds_balance: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  model_not_priced: 422,
  price_below_model_cost: 422,
  invalid_inputs: 422,
  provider_key_required: 422,
  prompt_too_large: 422,
  tool_misconfigured: 422,
  undecodable_payload: 422,
  rate_limited: 429,
  too_many_running: 429,
  // Ledger invariants: if one reaches a client it is our bug, logged as such.
  reservation_not_found: 500,
  reservation_settled: 500,
  reservation_mismatch: 500,
  capture_exceeds_reservation: 500,
  invalid_amount: 500,
  purchase_not_found: 500,
  internal_error: 500,
  payment_provider_error: 502,
  payments_unavailable: 503,
  not_ready: 503,
  database_unavailable: 503,
  workflow_service_unavailable: 503,
};

const error = (code: ErrorCode, message?: string, details?: unknown) => new DomainError(code, message, details);
export const unauthenticated = () => error('unauthenticated');
export const forbidden = () => error('forbidden');

/** Turns zod issues into a short machine-readable list. */
export function describeZodError(err: ZodError) {
  return err.issues.map((issue) => ({
    path: issue.path.join('.'),
    code: issue.code,
    message: issue.message,
    ...(issue.code === 'unrecognized_keys' ? { keys: issue.keys } : {}),
  }));
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

function toDomainError(err: unknown): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (err instanceof ZodError) {
    return error('validation_failed', 'the request is not valid', describeZodError(err));
  }
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return error('malformed_json', 'the request body is not valid JSON');
    case 'entity.too.large':
      return error('payload_too_large', 'the request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return error('unsupported_media_type', 'unsupported body encoding');
    case 'request.aborted':
      return error('request_aborted', 'the request was aborted');
  }
  if (isDatabaseUnavailable(err)) return error('database_unavailable', 'the database is not reachable; try again shortly');
  if (isTemporalUnavailable(err)) return error('workflow_service_unavailable', 'the workflow service is not reachable; try again shortly');
  // Any other body-parser failure (e.g. Content-Encoding: gzip over bytes that are not gzip) is the client's.
  if (parserError instanceof Error && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return error('malformed_body', 'the request body could not be read (check Content-Encoding and the body)');
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2002') return error('conflict', 'a record with these values already exists');
    if (err.code === 'P2025') return error('not_found', 'resource not found');
  }
  return undefined;
}

// Can't reach, timed out, closed, pool timeout, transaction could not start in time.
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
// 55P03: a row lock not had within a transaction's lock_timeout (src/db.ts sqlTransaction): busy, retry.
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03', '55P03']);

/** Postgres cannot be reached (down, restarting, pool exhausted): a 503 the client may retry, not a 500. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof Prisma.PrismaClientInitializationError) return true;
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (UNREACHABLE_CODES.has(err.code)) return true;
    return /DatabaseNotReachable|ConnectionClosed|Can't reach database|Connection terminated|timeout exceeded when trying to connect/i.test(
      `${JSON.stringify(err.meta ?? {})} ${err.message}`,
    );
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_ERRNOS.has(code)) return true;
  // From pg itself (the statements src/db.ts runs without Prisma): pool exhausted, connection lost.
  return err instanceof Error && /^(timeout exceeded when trying to connect|Connection terminated)/i.test(err.message);
}

/** The Temporal frontend does not answer (gRPC UNAVAILABLE / DEADLINE_EXCEEDED). */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; cause?: { code?: number } } | undefined;
  return e?.name === 'ServiceError' && (e.cause?.code === 14 || e.cause?.code === 4);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = toDomainError(err);
    const status = known ? HTTP_STATUS[known.code] : 500;
    if (known) {
      if (status >= 500) logger.error({ err: { type: (err as Error)?.name, code: (err as { code?: unknown })?.code }, errorCode: known.code }, 'request failed');
      res.status(status).json({
        error: { code: known.code, message: known.message, ...(known.details !== undefined ? { details: known.details } : {}) },
      });
      return;
    }
    logger.error({ err }, 'unhandled error');
    const requestId = requestContext.getStore()?.requestId;
    res.status(500).json({ error: { code: 'internal_error', message: 'something went wrong on our side', details: { requestId } } });
  };
}
