// A server for bench/reads.ts: Express 5 with the API's middleware added one layer at a
// time, in the API's order (src/api/app.ts), answering GET /healthz as the API does.
//   node --import tsx bench/reads-layers.ts <port> <layers>
import { randomUUID } from 'node:crypto';
import express from 'express';
import helmet from 'helmet';
import { accessLog } from '../src/api/access-log';
import { asyncStdout, createLogger, requestContext } from '../src/logger';
import { createMetricsRegistry, httpMetrics } from '../src/metrics';

export const LAYERS = ['bare Express', '+ request id (AsyncLocalStorage)', '+ access log', '+ helmet', '+ HTTP metrics (prom-client)', '+ JSON body parser'] as const;

function main() {
  const [port, count] = process.argv.slice(2).map(Number) as [number, number];
  const app = express();
  app.disable('x-powered-by');
  const layers: express.RequestHandler[] = [
    (req, res, next) => {
      res.setHeader('X-Request-Id', randomUUID());
      requestContext.run({ requestId: res.getHeader('X-Request-Id') as string }, next);
    },
    accessLog(createLogger('info', asyncStdout())),
    helmet(),
    httpMetrics(createMetricsRegistry()),
    express.json({ limit: '100kb' }),
  ];
  for (const layer of layers.slice(0, count)) app.use(layer);
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.listen(port);
}

if (require.main === module) main();
