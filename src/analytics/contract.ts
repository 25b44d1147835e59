// The analytics feature's Temporal contract. Pure TypeScript: bundled into workflow code.
export const ANALYTICS_ROLLUP_SCHEDULE_ID = 'roll-up-usage';

export interface UsageRolledUp {
  hours: number;
  hourBuckets: number;
  dayBuckets: number;
  upTo: string;
}
