// What every request gets before any route and once it has ended, in one middleware with one
// listener (docs/BENCHMARKS.md, "API reads": each layer and each listener costs every request):
// - its id: a sane incoming X-Request-Id, else a new one, sent back and carried by every log line
//   written while the request is handled (through AsyncLocalStorage, so services need not pass it);
// - one access-log line once it has ended: method, path (never the query string, which can carry
//   an unsubscribe or download token), status and milliseconds. Every field is a scalar chosen
//   here, so the line skips the logger's path redaction, which scans every object logged. A
//   request whose client went away before the response was written is logged as aborted;
// - its HTTP metrics (a request that was answered only).
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { requestContext, type Logger } from '../logger';
import type { HttpMetrics } from '../metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestLifecycle(logger: Logger, metrics: HttpMetrics): RequestHandler {
  const lines = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    // 'close' comes after 'finish' for an answered request, and alone for an aborted one.
    res.once('close', () => {
      const ms = performance.now() - started;
      const status = res.statusCode;
      const answered = res.writableFinished;
      const fields = { requestId, method: req.method, path: req.originalUrl.split('?', 1)[0], status, ms: Math.round(ms * 10) / 10 };
      const message = answered ? 'request completed' : 'request aborted';
      if (status >= 500) lines.error(fields, message);
      else lines.info(fields, message);
      if (answered) metrics.observe(req, status, ms / 1000);
    });
    requestContext.run({ requestId }, next);
  };
}
