// A server for bench/reads.ts: Express 5 with the API's middleware added one layer at a
// time, in the API's order (src/api/app.ts), answering GET /healthz as the API does.
//   node --import tsx bench/reads-layers.ts <port> <layers>
import express from 'express';
import helmet from 'helmet';
import { requestLifecycle } from '../src/api/request-lifecycle';
import { asyncStdout, createLogger } from '../src/logger';
import { createMetricsRegistry, httpMetrics } from '../src/metrics';

export const LAYERS = ['bare Express', '+ request id, access log and HTTP metrics (one middleware)', '+ helmet', '+ JSON body parser'] as const;

function main() {
  const [port, count] = process.argv.slice(2).map(Number) as [number, number];
  const app = express();
  app.disable('x-powered-by');
  const layers: express.RequestHandler[] = [
    requestLifecycle(createLogger('info', asyncStdout()), httpMetrics(createMetricsRegistry())),
    helmet(),
    express.json({ limit: '100kb' }),
  ];
  for (const layer of layers.slice(0, count)) app.use(layer);
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.listen(port);
}

if (require.main === module) main();
