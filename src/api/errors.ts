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
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (err.code === 'P2002') return new AppError(409, 'conflict', 'a record with these values already exists');
    if (err.code === 'P2025') return new AppError(404, 'not_found', 'resource not found');
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    const known = toAppError(err);
    if (known) {
      if (known.status >= 500) logger.error({ err }, 'request failed');
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
