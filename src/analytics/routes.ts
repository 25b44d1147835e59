// Creator analytics over HTTP (API.md "Creators"): the creator of a tool reads its
// anonymous aggregates; anyone else gets 404 (a tool id reveals nothing).
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import type { AnalyticsService } from './service';
import { AnalyticsQueryParams, PlatformAnalytics, PlatformQuery, ToolAnalytics } from './schemas';

const DAY = 86_400_000;

export function registerAnalyticsRoutes(route: RouteRegistrar, analytics: AnalyticsService) {
  route({
    method: 'get',
    path: '/v1/admin/analytics',
    operationId: 'getPlatformAnalytics',
    summary: 'The platform per closed day: runs, failure rate and failures by error code, latency, credits (admin); small groups suppressed',
    tags: ['staff'],
    access: ['admin'],
    query: PlatformQuery,
    responses: { 200: PlatformAnalytics },
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
    responses: { 200: ToolAnalytics },
    errors: ['not_found'],
    handler: async ({ principal, params, query }) => {
      const to = query.to ? new Date(query.to) : new Date();
      const from = query.from ? new Date(query.from) : new Date(to.getTime() - (query.granularity === 'day' ? 7 : 1) * DAY);
      return { status: 200, body: { items: await analytics.toolAnalytics(principal.userId, params.id, { from, to, granularity: query.granularity }) } };
    },
  });
}
