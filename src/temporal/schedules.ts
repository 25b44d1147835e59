// Temporal Schedules the system relies on, created (or brought up to date) by
// every worker at start. Visible and pausable in the Temporal UI.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config';
import { SCHEDULE_IDS } from '../shared';
import { releaseExpiredReservationsWorkflow } from '../workflows/credits';

export function scheduleDefinitions(config: Pick<Config, 'RESERVATION_SWEEP_INTERVAL' | 'TEMPORAL_TASK_QUEUE'>): ScheduleOptions[] {
  return [
    {
      scheduleId: SCHEDULE_IDS.releaseExpiredReservations,
      spec: { intervals: [{ every: config.RESERVATION_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: releaseExpiredReservationsWorkflow,
        workflowId: SCHEDULE_IDS.releaseExpiredReservations,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    },
  ];
}

/** Creates each schedule, or updates its spec and action when it already exists. Safe to run from every replica. */
export async function ensureSchedules(client: Client, config: Pick<Config, 'RESERVATION_SWEEP_INTERVAL' | 'TEMPORAL_TASK_QUEUE'>): Promise<void> {
  for (const options of scheduleDefinitions(config)) {
    try {
      await client.schedule.create(options);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
      }));
    }
  }
}
