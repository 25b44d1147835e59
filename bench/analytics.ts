// Usage analytics at scale: the rollup of 1,000,000 runs (spread over 30 days,
// 100 tools, 10,000 users) into hourly and daily buckets (rate, and that a
// re-run from the start changes no row), then the creator's query over a year
// of hourly buckets of one tool (p50/p99 of 31-day windows of hours and of the
// year by day), through the same service the route calls.
//   BENCH_ANALYTICS_RUNS=1000000 node --import tsx bench/analytics.ts
import { createHash } from 'node:crypto';
import { createPrisma } from '../src/db';
import { createRollup } from '../src/analytics/rollup';
import { createAnalyticsService } from '../src/analytics/service';
import { benchDatabase, machine, markdownTable, measure, percentile, writeBenchmarkSection } from './lib';

const RUNS = Number(process.env.BENCH_ANALYTICS_RUNS ?? 1_000_000);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function main() {
  if (!Number.isInteger(RUNS) || RUNS < 1000) throw new Error('BENCH_ANALYTICS_RUNS must be a whole number of at least 1000');
  const db = await benchDatabase('sotally_bench_analytics');
  const prisma = createPrisma(db.url, 10);
  try {
    const now = Date.now();
    const start = Math.floor((now - 31 * DAY) / DAY) * DAY;
    const made = performance.now();
    await prisma.$executeRaw`INSERT INTO users (id, password_hash, updated_at) SELECT gen_random_uuid(), 'synthetic', now() FROM generate_series(1, 10000)`;
    await prisma.$executeRaw`INSERT INTO tools (id, creator_id, name, description, input_schema, model, price_credits, updated_at)
      SELECT gen_random_uuid(), gen_random_uuid(), 'bench tool ' || i, 'bench', '{}'::jsonb, 'gpt-4o-mini', 5, now() FROM generate_series(1, 100) i`;
    // Runs over 30 days, each tool's users drawn from a pool so most hours hold several users; 3 % fail.
    await prisma.$executeRaw`
      WITH u AS (SELECT id, row_number() OVER () AS n FROM users), t AS (SELECT id, row_number() OVER () AS n FROM tools)
      INSERT INTO executions (id, user_id, tool_id, status, error_code, reserved_credits, cost_credits, model, created_at, started_at, finished_at, expires_at)
      SELECT gen_random_uuid(), u.id, t.id,
             CASE WHEN g % 33 = 0 THEN 'failed'::"ExecutionStatus" ELSE 'succeeded'::"ExecutionStatus" END,
             CASE WHEN g % 33 = 0 THEN 'model_timeout' END, 10, CASE WHEN g % 33 = 0 THEN 0 ELSE 3 END, 'gpt-4o-mini',
             ts, ts, ts + (500 + g % 2000) * interval '1 millisecond', ts + interval '90 days'
      FROM generate_series(1, ${RUNS}) g
      CROSS JOIN LATERAL (SELECT to_timestamp((${start} + (g::bigint * ${30 * DAY}) / ${RUNS}) / 1000.0) AS ts) x
      JOIN t ON t.n = 1 + g % 100
      JOIN u ON u.n = 1 + (g::bigint * 7919) % 10000`;
    await prisma.$executeRawUnsafe('VACUUM (ANALYZE) executions');
    const seeded = (performance.now() - made) / 1000;

    const rollup = createRollup(prisma, { minGroup: 5, settleMs: 15 * 60_000, retentionMs: 32 * DAY });
    const t0 = performance.now();
    let calls = 0;
    let hourBuckets = 0;
    let dayBuckets = 0;
    for (let more = true; more; calls += 1) {
      const step = await rollup.rollUp(now);
      hourBuckets += step.hourBuckets;
      dayBuckets += step.dayBuckets;
      more = step.more;
    }
    const rolledSeconds = (performance.now() - t0) / 1000;
    const digest = async () =>
      createHash('sha256')
        .update(JSON.stringify(await prisma.$queryRaw`SELECT tool_id, granularity, bucket_start, runs, succeeded, failed, p50_latency_ms, p95_latency_ms, credits_earned, distinct_users, failures_by_code FROM analytics_buckets ORDER BY 1, 2, 3`))
        .digest('hex');
    const before = await digest();

    // A re-run from the very start: every bucket exists, nothing changes.
    await prisma.analyticsWatermark.deleteMany();
    const t1 = performance.now();
    let reinserted = 0;
    for (let more = true; more; ) {
      const step = await rollup.rollUp(now);
      reinserted += step.hourBuckets + step.dayBuckets;
      more = step.more;
    }
    const rerunSeconds = (performance.now() - t1) / 1000;
    const unchanged = (await digest()) === before && reinserted === 0;
    if (!unchanged) throw new Error('a re-run of the rollup changed the aggregates');

    // A year of hourly buckets for one tool, then the creator's query.
    const tool = await prisma.tool.findFirstOrThrow({ select: { id: true, creatorId: true } });
    const { id: toolId, creatorId } = tool;
    const yearStart = Math.floor((now - 366 * DAY) / DAY) * DAY;
    await prisma.$executeRaw`
      INSERT INTO analytics_buckets (tool_id, granularity, bucket_start, runs, succeeded, failed, p50_latency_ms, p95_latency_ms, credits_earned, distinct_users)
      SELECT ${toolId}::uuid, 'hour', to_timestamp((${yearStart} + h::bigint * ${HOUR}) / 1000.0), 20, 19, 1, 900, 2100, 57, 3 + h % 8
      FROM generate_series(0, 366 * 24 - 1) h ON CONFLICT DO NOTHING`;
    await prisma.$executeRaw`
      INSERT INTO analytics_buckets (tool_id, granularity, bucket_start, runs, succeeded, failed, p50_latency_ms, p95_latency_ms, credits_earned, distinct_users)
      SELECT ${toolId}::uuid, 'day', to_timestamp((${yearStart} + d::bigint * ${DAY}) / 1000.0), 480, 456, 24, 900, 2100, 1368, 40
      FROM generate_series(0, 365) d ON CONFLICT DO NOTHING`;
    const service = createAnalyticsService(prisma, { minGroup: 5 });
    let window = 0;
    const hours = await measure(4, 400, async () => {
      const from = yearStart + ((window++ * 7919) % 335) * DAY;
      return service.toolAnalytics(creatorId, toolId, { from: new Date(from), to: new Date(from + 31 * DAY), granularity: 'hour' });
    });
    const days = await measure(4, 400, () => service.toolAnalytics(creatorId, toolId, { from: new Date(yearStart), to: new Date(yearStart + 366 * DAY), granularity: 'day' }));

    const rows = [
      ['rollup of the runs (first time)', `${RUNS.toLocaleString('en')} runs → ${hourBuckets.toLocaleString('en')} hour and ${dayBuckets.toLocaleString('en')} day buckets in ${calls} calls`, `${rolledSeconds.toFixed(1)} s`, `${Math.round(RUNS / rolledSeconds).toLocaleString('en')} runs/s`],
      ['re-run from the start', unchanged ? 'no row inserted, every bucket byte-identical (SHA-256 of the table)' : 'CHANGED', `${rerunSeconds.toFixed(1)} s`, ''],
    ];
    const queries = [
      ['31 days of hours (744 buckets), one tool, 4 at a time', hours.latencies.length, percentile(hours.latencies, 50).toFixed(1), percentile(hours.latencies, 99).toFixed(1)],
      ['a year by day (366 buckets), one tool, 4 at a time', days.latencies.length, percentile(days.latencies, 50).toFixed(1), percentile(days.latencies, 99).toFixed(1)],
    ];
    const body = `## Usage analytics (\`bench/analytics.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; Postgres on the same machine. ${RUNS.toLocaleString('en')} finished runs
(100 tools, 10,000 users, 3 % failed) spread over 30 days, seeded with SQL in ${seeded.toFixed(1)} s (not counted), then rolled up
by \`createRollup().rollUp\` as the scheduled activity calls it (a day of hours per call, each day's buckets from its shown hours).

${markdownTable(['rollup', 'what', 'time', 'rate'], rows)}

The creator's query (\`createAnalyticsService().toolAnalytics\`, what the route calls) over a year of buckets of one tool
(8,784 hours, 366 days, beside the rolled-up buckets above), hours in a random 31-day window each time; latencies in ms:

${markdownTable(['query', 'requests', 'p50 ms', 'p99 ms'], queries)}
`;
    console.log(body);
    writeBenchmarkSection('analytics', body);
  } finally {
    await prisma.$disconnect();
    await db.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
