// What creators read of the aggregates (API.md "Creators"): their own tool's
// closed buckets in a period. A bucket with fewer than ANALYTICS_MIN_GROUP
// distinct users is shown as suppressed, with no numbers. Answers are made of
// whole buckets only and a day counts only its shown hours (./rollup.ts), so
// no two answers differ by a suppressed group: not two overlapping periods,
// not a day and its hours.
import type { PrismaClient } from '@prisma/client';
import { DomainError, notFound } from '../errors';

export interface AnalyticsQuery {
  from: Date;
  to: Date;
  granularity: 'hour' | 'day';
}

/** Buckets per answer at most: a year of days, or 31 days of hours. */
const MAX_BUCKETS = { hour: 31 * 24, day: 366 } as const;
const UNIT_MS = { hour: 3_600_000, day: 86_400_000 } as const;

export function createAnalyticsService(prisma: PrismaClient, settings: { minGroup: number }) {
  return {
    async toolAnalytics(creatorId: string, toolId: string, query: AnalyticsQuery) {
      const tool = await prisma.tool.findUnique({ where: { id: toolId }, select: { creatorId: true, deletedAt: true } });
      if (!tool || tool.creatorId !== creatorId || tool.deletedAt) throw notFound('tool');
      if (query.to.getTime() <= query.from.getTime()) throw new DomainError('validation_failed', 'to must be after from', [{ path: 'to', message: 'must be after from' }]);
      if ((query.to.getTime() - query.from.getTime()) / UNIT_MS[query.granularity] > MAX_BUCKETS[query.granularity]) {
        throw new DomainError('validation_failed', `at most ${MAX_BUCKETS[query.granularity]} ${query.granularity} buckets per request`, [{ path: 'from', message: 'period too long for this granularity' }]);
      }
      const rows = await prisma.analyticsBucket.findMany({
        where: { toolId, granularity: query.granularity, bucketStart: { gte: query.from, lt: query.to } },
        orderBy: { bucketStart: 'asc' },
      });
      return rows.map((row) =>
        row.distinctUsers < settings.minGroup
          ? { bucketStart: row.bucketStart, suppressed: true as const }
          : {
              bucketStart: row.bucketStart,
              suppressed: false as const,
              runs: row.runs,
              succeeded: row.succeeded,
              failed: row.failed,
              p50LatencyMs: row.p50LatencyMs,
              p95LatencyMs: row.p95LatencyMs,
              creditsEarned: row.creditsEarned,
            },
      );
    },

    /** The platform per closed day (operators: "improve the platform"), small days suppressed the same way. */
    async platformAnalytics(from: Date, to: Date) {
      if (to.getTime() <= from.getTime()) throw new DomainError('validation_failed', 'to must be after from', [{ path: 'to', message: 'must be after from' }]);
      if ((to.getTime() - from.getTime()) / UNIT_MS.day > MAX_BUCKETS.day) throw new DomainError('validation_failed', `at most ${MAX_BUCKETS.day} days per request`, [{ path: 'from', message: 'period too long' }]);
      const rows = await prisma.analyticsPlatformDay.findMany({ where: { day: { gte: from, lt: to } }, orderBy: { day: 'asc' } });
      return rows.map((row) =>
        row.distinctUsers < settings.minGroup
          ? { day: row.day, suppressed: true as const }
          : {
              day: row.day,
              suppressed: false as const,
              runs: row.runs,
              succeeded: row.succeeded,
              failed: row.failed,
              failureRate: row.runs ? Math.round((row.failed / row.runs) * 10_000) / 10_000 : 0,
              failuresByCode: row.failuresByCode as Record<string, number>,
              p50LatencyMs: row.p50LatencyMs,
              p95LatencyMs: row.p95LatencyMs,
              creditsEarned: row.creditsEarned,
            },
      );
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
