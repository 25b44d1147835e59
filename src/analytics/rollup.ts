// The usage rollup (SPEC feature 8, policy section 1): closed hours of tool runs
// become anonymous aggregates per tool (runs, successes, failures by error
// code, p50/p95 latency, credits earned, and how many distinct users, as a
// number), then each closed day, per tool and for the whole platform, from the
// runs of the hours that had enough users to be shown. Each bucket is written once (a re-run inserts nothing), so
// the aggregates outlive the runs (deleted at 90 days) and the accounts
// (erasure). A user who restricted processing or objected to analytics is left
// out of every bucket rolled up from then on. The watermark says how far it has
// come; after an outage the next run catches up, a day at a time.
import { Prisma, type PrismaClient } from '@prisma/client';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Hours rolled up per call: bounds each activity's time; the workflow calls again while `more`. */
export const ROLLUP_HOURS_PER_CALL = 24;
const WATERMARK = 'usage';

export interface RollupSettings {
  /** Distinct users below which a bucket is suppressed (ANALYTICS_MIN_GROUP); a day counts only hours at or above it. */
  minGroup: number;
  /** How long after its end an hour is rolled up (ANALYTICS_SETTLE). */
  settleMs: number;
  /** How far back the first run starts (EXECUTION_RETENTION: nothing older exists). */
  retentionMs: number;
}

export interface RollupResult {
  hours: number;
  hourBuckets: number;
  dayBuckets: number;
  upTo: string;
  more: boolean;
}

const floorHour = (ms: number) => Math.floor(ms / HOUR) * HOUR;

/** The runs counted: finished, in [from, to), of users who allow analytics now. */
const countedRuns = (from: Date, to: Date, extra: Prisma.Sql = Prisma.empty) => Prisma.sql`
  SELECT e.tool_id, e.user_id, e.status, e.error_code, e.cost_credits, e.created_at,
         extract(epoch FROM (e.finished_at - e.started_at)) * 1000 AS ms
  FROM executions e JOIN users u ON u.id = e.user_id
  WHERE e.created_at >= ${from} AND e.created_at < ${to}
    AND e.status IN ('succeeded', 'failed')
    AND NOT u.restricted AND NOT u.objects_to_analytics ${extra}`;

/** The numbers of a bucket, over the `runs` CTE grouped by the caller. */
const NUMBERS = Prisma.sql`
  count(*)::int AS runs,
  (count(*) FILTER (WHERE status = 'succeeded'))::int AS succeeded,
  (count(*) FILTER (WHERE status = 'failed'))::int AS failed,
  round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::int AS p50,
  round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms))::int AS p95,
  (coalesce(sum(cost_credits) FILTER (WHERE status = 'succeeded'), 0))::int AS credits,
  count(DISTINCT user_id)::int AS users`;

/**
 * Inserts one bucket per tool and `unit` (hour or day) over `runs` into analytics_buckets, or with
 * `platform`, one per day for all tools together into analytics_platform_days. Existing buckets are
 * left as they are.
 */
function insertBuckets(unit: 'hour' | 'day', runs: Prisma.Sql, platform = false): Prisma.Sql {
  const bucket = Prisma.sql`date_trunc(${unit}, created_at, 'UTC')`;
  const keys = platform ? Prisma.sql`${bucket} AS bucket_start` : Prisma.sql`tool_id, ${bucket} AS bucket_start`;
  const groupBy = platform ? Prisma.sql`1` : Prisma.sql`1, 2`;
  const join = platform ? Prisma.sql`USING (bucket_start)` : Prisma.sql`USING (tool_id, bucket_start)`;
  const insert = platform
    ? Prisma.sql`INSERT INTO analytics_platform_days (day, runs, succeeded, failed, p50_latency_ms, p95_latency_ms, credits_earned, distinct_users, failures_by_code)
        SELECT agg.bucket_start`
    : Prisma.sql`INSERT INTO analytics_buckets (tool_id, granularity, bucket_start, runs, succeeded, failed, p50_latency_ms, p95_latency_ms, credits_earned, distinct_users, failures_by_code)
        SELECT agg.tool_id, ${unit}, agg.bucket_start`;
  return Prisma.sql`
    WITH runs AS (${runs}),
    agg AS (SELECT ${keys}, ${NUMBERS} FROM runs GROUP BY ${groupBy}),
    codes AS (
      SELECT ${platform ? Prisma.empty : Prisma.sql`tool_id,`} bucket_start, jsonb_object_agg(code, n) AS by_code FROM (
        SELECT ${keys}, coalesce(error_code, 'unknown') AS code, count(*) AS n
        FROM runs WHERE status = 'failed' GROUP BY ${groupBy}, ${platform ? Prisma.sql`2` : Prisma.sql`3`}) c
      GROUP BY ${groupBy})
    ${insert}, agg.runs, agg.succeeded, agg.failed, agg.p50, agg.p95, agg.credits, agg.users, coalesce(codes.by_code, '{}'::jsonb)
    FROM agg LEFT JOIN codes ${join}
    ON CONFLICT DO NOTHING`;
}

export function createRollup(prisma: PrismaClient, settings: RollupSettings) {
  return {
    /** Rolls up the next closed hours (up to a day of them) and every day they close; `more` while behind. */
    async rollUp(now: number): Promise<RollupResult> {
      const target = floorHour(now - settings.settleMs);
      const mark = await prisma.analyticsWatermark.findUnique({ where: { kind: WATERMARK } });
      const from = mark ? mark.upTo.getTime() : floorHour(now - settings.retentionMs);
      const to = Math.min(target, from + ROLLUP_HOURS_PER_CALL * HOUR);
      if (to <= from) return { hours: 0, hourBuckets: 0, dayBuckets: 0, upTo: new Date(from).toISOString(), more: false };

      return prisma.$transaction(
        async (tx) => {
          const hourBuckets = await tx.$executeRaw(insertBuckets('hour', countedRuns(new Date(from), new Date(to))));
          let dayBuckets = 0;
          // Every day that ends in (from, to]: from the runs of its hours shown to creators (>= minGroup users).
          for (let dayEnd = Math.floor(from / DAY) * DAY + DAY; dayEnd <= to; dayEnd += DAY) {
            const dayStart = new Date(dayEnd - DAY);
            // One primary-key look-up per run (the buckets were just written: no statistics to plan a join with).
            const visibleHours = Prisma.sql`AND EXISTS (
              SELECT 1 FROM analytics_buckets b
              WHERE b.tool_id = e.tool_id AND b.granularity = 'hour' AND b.bucket_start = date_trunc('hour', e.created_at, 'UTC')
                AND b.distinct_users >= ${settings.minGroup})`;
            dayBuckets += await tx.$executeRaw(insertBuckets('day', countedRuns(dayStart, new Date(dayEnd), visibleHours)));
            await tx.$executeRaw(insertBuckets('day', countedRuns(dayStart, new Date(dayEnd), visibleHours), true));
          }
          await tx.analyticsWatermark.upsert({ where: { kind: WATERMARK }, create: { kind: WATERMARK, upTo: new Date(to) }, update: { upTo: new Date(to) } });
          return { hours: (to - from) / HOUR, hourBuckets, dayBuckets, upTo: new Date(to).toISOString(), more: to < target };
        },
        { timeout: 120_000 },
      );
    },
  };
}
