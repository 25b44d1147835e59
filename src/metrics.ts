// Prometheus metrics (prom-client). One registry per process, passed in, so
// tests can build several apps without clashing on metric names.
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrismaClient } from '@prisma/client';

export function createMetricsRegistry(withDefaults = true): Registry {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Counts requests and measures latency by route template (never the raw URL, which may hold ids) and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      end(labels);
    });
    next();
  };
}

/**
 * Retention health, read from Postgres at scrape time (the sweep runs in a worker):
 * how many expired records the last sweep had to purge. Healthy: 0.
 */
export function retentionMetrics(registry: Registry, prisma: PrismaClient): void {
  new Gauge({
    name: 'sotally_retention_sweep_last_found',
    help: 'Expired execution records the last retention sweep had to delete (0 when every timer fired)',
    registers: [registry],
    async collect() {
      const last = await prisma.retentionSweep.findFirst({ orderBy: { ranAt: 'desc' } });
      this.set(last?.found ?? 0);
    },
  });
  new Gauge({
    name: 'sotally_retention_overdue_records',
    help: 'Execution records past their expiry that still exist right now (deleted by their timer or the sweep; healthy: 0)',
    registers: [registry],
    async collect() {
      this.set(await prisma.execution.count({ where: { expiresAt: { lte: new Date() } } }));
    },
  });
}
