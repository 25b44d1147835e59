// The usage rollup, run by a Temporal Schedule every ANALYTICS_ROLLUP_INTERVAL
// (src/temporal/schedules.ts): each activity call rolls up to a day of closed
// hours (src/analytics/rollup.ts); after an outage the run calls again until it
// has caught up. Only counts cross into the history.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { UsageRolledUp } from './contract';

const { rollUpUsage } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '10s', maximumInterval: '5m', maximumAttempts: 5 }, // the next scheduled run picks up the rest
});

export async function rollUpUsageWorkflow(): Promise<UsageRolledUp> {
  const total: UsageRolledUp = { hours: 0, hourBuckets: 0, dayBuckets: 0, upTo: '' };
  for (;;) {
    const step = await rollUpUsage(Date.now());
    total.hours += step.hours;
    total.hourBuckets += step.hourBuckets;
    total.dayBuckets += step.dayBuckets;
    total.upTo = step.upTo;
    if (!step.more) return total;
  }
}
