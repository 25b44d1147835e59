// Prometheus metrics (prom-client). One registry per process, passed in, so
// tests can build several apps without clashing on metric names.
import type { Request } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PrismaClient } from '@prisma/client';

export function createMetricsRegistry(withDefaults = true): Registry {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return registry;
}

export interface HttpMetrics {
  /** One answered request: its method, route template, status and seconds. */
  observe(req: Request, status: number, seconds: number): void;
}

/** Counts requests and measures latency by route template (never the raw URL, which may hold ids) and status. */
export function httpMetrics(registry: Registry): HttpMetrics {
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
  return {
    observe(req, status, seconds) {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
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

/** `kind` label of `sotally_security_data_cleanup_last_deleted` → the column of `security_data_cleanups` it reads. */
const SECURITY_DATA_CLEANUP_COLUMNS = {
  sessions: 'sessionsDeleted',
  api_tokens: 'apiTokensDeleted',
  security_events: 'securityEventsDeleted',
  rate_limit_keys: 'rateLimitKeysDeleted',
  login_contexts: 'loginContextsDeleted',
  reauth_codes: 'reauthCodesDeleted',
} as const;

/**
 * The security-data cleanup (a schedule run by a worker), read from Postgres at scrape time:
 * what its last run deleted, by kind, and when it ran. Alert when the time falls behind the
 * schedule's interval (SECURITY_DATA_CLEANUP_INTERVAL, 1 h): data is then kept past its retention.
 */
export function securityDataCleanupMetrics(registry: Registry, prisma: PrismaClient): void {
  const lastRun = () => prisma.securityDataCleanup.findFirst({ orderBy: { ranAt: 'desc' } });
  new Gauge({
    name: 'sotally_security_data_cleanup_last_deleted',
    help: 'Rows past their retention deleted by the last security-data cleanup, by kind (sessions, api_tokens, security_events, rate_limit_keys, login_contexts, reauth_codes)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const last = await lastRun();
      for (const [kind, column] of Object.entries(SECURITY_DATA_CLEANUP_COLUMNS)) this.set({ kind }, last?.[column] ?? 0);
    },
  });
  new Gauge({
    name: 'sotally_security_data_cleanup_last_run_timestamp_seconds',
    help: 'When the last security-data cleanup finished, in Unix seconds (0 before the first run)',
    registers: [registry],
    async collect() {
      const last = await lastRun();
      this.set(last ? last.ranAt.getTime() / 1000 : 0);
    },
  });
}
