// One error model for every route: {"error": {"code", "message", "details"?}}.
// Handlers throw AppError (or let zod / Prisma / body-parser errors through);
// the single error handler below maps them to a status and never leaks internals.
import type { ErrorRequestHandler } from 'express';
import { ZodError } from 'zod';
import { Prisma } from '@prisma/client';
import type { Logger } from '../logger';
import { requestContext } from '../logger';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'resource') => new AppError(404, 'not_found', `${what} not found`);
export const unauthenticated = () => new AppError(401, 'unauthenticated', 'sign in or send a valid Bearer token');
export const forbidden = () => new AppError(403, 'forbidden', 'your role does not allow this');

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

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    return new AppError(400, 'validation_failed', 'the request is not valid', describeZodError(err));
  }
  const parserError = err as BodyParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'the request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'the request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'unsupported body encoding');
    case 'request.aborted':
      return new AppError(400, 'request_aborted', 'the request was aborted');
  }
  if (isDatabaseUnavailable(err)) return new AppError(503, 'database_unavailable', 'the database is not reachable; try again shortly');
  if (isTemporalUnavailable(err)) return new AppError(503, 'workflow_service_unavailable', 'the workflow service is not reachable; try again shortly');
  // Any other body-parser failure (e.g. Content-Encoding: gzip over bytes that are not gzip) is the client's.
  if (parserError instanceof Error && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return new AppError(400, 'malformed_body', 'the request body could not be read (check Content-Encoding and the body)');
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2002') return new AppError(409, 'conflict', 'a record with these values already exists');
    if (err.code === 'P2025') return new AppError(404, 'not_found', 'resource not found');
  }
  return undefined;
}

// Can't reach, timed out, closed, pool timeout, transaction could not start in time.
const UNREACHABLE_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P03']);

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
  return typeof code === 'string' && NETWORK_ERRNOS.has(code);
}

/** The Temporal frontend does not answer (gRPC UNAVAILABLE / DEADLINE_EXCEEDED). */
function isTemporalUnavailable(err: unknown): boolean {
  const e = err as { name?: string; cause?: { code?: number } } | undefined;
  return e?.name === 'ServiceError' && (e.cause?.code === 14 || e.cause?.code === 4);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = toAppError(err);
    if (known) {
      if (known.status >= 500) logger.error({ err: { type: (err as Error)?.name, code: (err as { code?: unknown })?.code } }, 'request failed');
      res.status(known.status).json({
        error: { code: known.code, message: known.message, ...(known.details !== undefined ? { details: known.details } : {}) },
      });
      return;
    }
    logger.error({ err }, 'unhandled error');
    const requestId = requestContext.getStore()?.requestId;
    res.status(500).json({ error: { code: 'internal_error', message: 'something went wrong on our side', details: { requestId } } });
  };
}
