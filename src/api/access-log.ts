// One line per request once its response has gone out: method, path (never the query string,
// which can carry an unsubscribe or download token), status and milliseconds; the request id
// comes from the logger's mixin. Every field is a scalar chosen here, so the line skips the
// logger's path redaction, which scans every object logged (docs/BENCHMARKS.md, "API reads":
// the access log was the costliest middleware). A request whose client went away before the
// response was written is logged as aborted.
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

export function accessLog(logger: Logger): RequestHandler {
  const lines = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    const log = (message: string) => {
      const status = res.statusCode;
      const fields = {
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (status >= 500) lines.error(fields, message);
      else lines.info(fields, message);
    };
    res.once('finish', () => log('request completed'));
    res.once('close', () => {
      if (!res.writableFinished) log('request aborted');
    });
    next();
  };
}
