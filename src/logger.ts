// pino JSON logs. Inside an HTTP request every line carries that request's id
// (through AsyncLocalStorage, so services need not pass it around). Secrets and
// credentials are redacted by path wherever they appear in a logged object.
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'newPassword',
  'currentPassword',
  'apiKey',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'sid',
];

export const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * Standard output written without blocking the event loop: a line is handed to the OS in the
 * background, and lines that come while a write is in flight go out together in one write. Nothing
 * waits for a buffer to fill, so an idle process's lines appear at once; pino flushes what is
 * pending when the process exits. For the API, whose every request logs a line (docs/BENCHMARKS.md,
 * "API reads").
 */
export function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sotally' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin() {
        const ctx = requestContext.getStore();
        return ctx ? { requestId: ctx.requestId } : {};
      },
    },
    destination,
  );
}
