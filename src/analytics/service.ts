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

type Numbers = { runs: number; succeeded: number; failed: number; p50LatencyMs: number | null; p95LatencyMs: number | null; creditsEarned: number; distinctUsers: number };

/** A period of whole buckets: `to` after `from`, and at most `MAX_BUCKETS` of them. */
function checkPeriod(from: Date, to: Date, unit: 'hour' | 'day') {
  if (to.getTime() <= from.getTime()) throw new DomainError('validation_failed', 'to must be after from', [{ path: 'to', message: 'must be after from' }]);
  if ((to.getTime() - from.getTime()) / UNIT_MS[unit] > MAX_BUCKETS[unit]) {
    throw new DomainError('validation_failed', `at most ${MAX_BUCKETS[unit]} ${unit} buckets per request`, [{ path: 'from', message: 'period too long for this granularity' }]);
  }
}

export function createAnalyticsService(prisma: PrismaClient, settings: { minGroup: number }) {
  /** A bucket's numbers, or none when fewer than minGroup distinct users are in it. */
  const shown = (row: Numbers) =>
    row.distinctUsers < settings.minGroup
      ? { suppressed: true as const }
      : {
          suppressed: false as const,
          runs: row.runs,
          succeeded: row.succeeded,
          failed: row.failed,
          p50LatencyMs: row.p50LatencyMs,
          p95LatencyMs: row.p95LatencyMs,
          creditsEarned: row.creditsEarned,
        };

  return {
    async toolAnalytics(creatorId: string, toolId: string, query: AnalyticsQuery) {
      const tool = await prisma.tool.findUnique({ where: { id: toolId }, select: { creatorId: true, deletedAt: true } });
      if (!tool || tool.creatorId !== creatorId || tool.deletedAt) throw notFound('tool');
      checkPeriod(query.from, query.to, query.granularity);
      const rows = await prisma.analyticsBucket.findMany({
        where: { toolId, granularity: query.granularity, bucketStart: { gte: query.from, lt: query.to } },
        orderBy: { bucketStart: 'asc' },
      });
      return rows.map((row) => ({ bucketStart: row.bucketStart, ...shown(row) }));
    },

    /** The platform per closed day (operators: "improve the platform"), small days suppressed the same way. */
    async platformAnalytics(from: Date, to: Date) {
      checkPeriod(from, to, 'day');
      const rows = await prisma.analyticsPlatformDay.findMany({ where: { day: { gte: from, lt: to } }, orderBy: { day: 'asc' } });
      return rows.map((row) => {
        const numbers = shown(row);
        if (numbers.suppressed) return { day: row.day, ...numbers };
        const failureRate = row.runs ? Math.round((row.failed / row.runs) * 10_000) / 10_000 : 0;
        return { day: row.day, ...numbers, failureRate, failuresByCode: row.failuresByCode as Record<string, number> };
      });
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
