// Creator analytics over HTTP (API.md "Creators"): the creator of a tool reads its
// anonymous aggregates; anyone else gets 404 (a tool id reveals nothing).
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { z } from '../zod';
import type { AnalyticsService } from './service';

const DAY = 86_400_000;

const AnalyticsQueryParams = z
  .object({
    from: z.string().datetime({ offset: true }).optional().openapi({ description: 'start of the period (default: `to` minus 7 days, or minus 1 day for hours)', format: 'date-time' }),
    to: z.string().datetime({ offset: true }).optional().openapi({ description: 'end of the period, exclusive (default: now)', format: 'date-time' }),
    granularity: z.enum(['hour', 'day']).default('hour'),
  })
  .strict();

const Bucket = z
  .object({
    bucketStart: z.date().openapi({ format: 'date-time' }),
    suppressed: z.boolean().openapi({ description: 'true: fewer than ANALYTICS_MIN_GROUP distinct users ran the tool in this bucket; no numbers are given' }),
    runs: z.number().int().optional(),
    succeeded: z.number().int().optional(),
    failed: z.number().int().optional(),
    p50LatencyMs: z.number().int().nullable().optional(),
    p95LatencyMs: z.number().int().nullable().optional(),
    creditsEarned: z.number().int().optional(),
  })
  .openapi('AnalyticsBucket');

const PlatformQuery = z
  .object({
    from: z.string().datetime({ offset: true }).optional().openapi({ description: 'start of the period (default: `to` minus 30 days)', format: 'date-time' }),
    to: z.string().datetime({ offset: true }).optional().openapi({ description: 'end of the period, exclusive (default: now)', format: 'date-time' }),
  })
  .strict();

const PlatformDay = z
  .object({
    day: z.date().openapi({ format: 'date-time' }),
    suppressed: z.boolean(),
    runs: z.number().int().optional(),
    succeeded: z.number().int().optional(),
    failed: z.number().int().optional(),
    failureRate: z.number().optional(),
    failuresByCode: z.record(z.number().int()).optional(),
    p50LatencyMs: z.number().int().nullable().optional(),
    p95LatencyMs: z.number().int().nullable().optional(),
    creditsEarned: z.number().int().optional(),
  })
  .openapi('PlatformAnalyticsDay');

export function registerAnalyticsRoutes(route: RouteRegistrar, analytics: AnalyticsService) {
  route({
    method: 'get',
    path: '/v1/admin/analytics',
    operationId: 'getPlatformAnalytics',
    summary: 'The platform per closed day: runs, failure rate and failures by error code, latency, credits (admin); small groups suppressed',
    tags: ['staff'],
    access: ['admin'],
    query: PlatformQuery,
    responses: { 200: z.object({ items: z.array(PlatformDay) }).openapi('PlatformAnalytics') },
    handler: async ({ query }) => {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY);
      return { status: 200, body: { items: await analytics.platformAnalytics(from, to) } };
    },
  });

  route({
    method: 'get',
    path: '/v1/creator/tools/:id/analytics',
    operationId: 'getToolAnalytics',
    summary: "Your tool's usage per closed hour or day: runs, successes, failures, latency, credits earned; small groups suppressed",
    description:
      'Only buckets already rolled up (every ANALYTICS_ROLLUP_INTERVAL, for hours that ended ANALYTICS_SETTLE ago) and in which someone ran the tool. ' +
      'No user identity; users who restricted processing or objected to analytics are not counted. A day counts only its hours that are shown.',
    tags: ['creators'],
    access: 'user',
    params: idParams,
    query: AnalyticsQueryParams,
    responses: { 200: z.object({ items: z.array(Bucket) }).openapi('ToolAnalytics') },
    errors: ['not_found'],
    handler: async ({ principal, params, query }) => {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - (query.granularity === 'day' ? 7 : 1) * DAY);
      return { status: 200, body: { items: await analytics.toolAnalytics(principal.userId, params.id, { from, to, granularity: query.granularity }) } };
    },
  });
}
