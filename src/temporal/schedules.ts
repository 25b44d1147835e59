// Temporal Schedules the system relies on, created (or brought up to date) by
// every worker at start. Visible and pausable in the Temporal UI.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config';
import { SCHEDULE_IDS } from '../shared';
import { releaseExpiredReservationsWorkflow } from '../workflows/credits';
import { sweepExpiredExecutionsWorkflow } from '../workflows/retention';

type ScheduleConfig = Pick<Config, 'RESERVATION_SWEEP_INTERVAL' | 'RETENTION_SWEEP_INTERVAL' | 'TEMPORAL_TASK_QUEUE'>;

export function scheduleDefinitions(config: ScheduleConfig): ScheduleOptions[] {
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
    {
      scheduleId: SCHEDULE_IDS.sweepExpiredExecutions,
      spec: { intervals: [{ every: config.RETENTION_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: sweepExpiredExecutionsWorkflow,
        workflowId: SCHEDULE_IDS.sweepExpiredExecutions,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      // A missed sweep (cluster down) still runs when it is back.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' },
    },
  ];
}

/** Creates each schedule, or updates its spec and action when it already exists. Safe to run from every replica. */
export async function ensureSchedules(client: Client, config: ScheduleConfig): Promise<void> {
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
