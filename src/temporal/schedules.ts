// Temporal Schedules the system relies on, created (or brought up to date) by
// every worker at start. Visible and pausable in the Temporal UI.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Duration, Workflow } from '@temporalio/common';
import type { Config } from '../config';
import { RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID } from '../credits/contract';
import { releaseExpiredReservationsWorkflow } from '../credits/workflows';
import { SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID } from '../retention/contract';
import { sweepExpiredExecutionsWorkflow } from '../retention/workflows';
import { SECURITY_DATA_CLEANUP_SCHEDULE_ID } from '../security-data/contract';
import { cleanUpSecurityDataWorkflow } from '../security-data/workflows';
import { SEND_SECURITY_ALERTS_SCHEDULE_ID } from '../mail/contract';
import { sendSecurityAlertsWorkflow } from '../mail/workflows';
import { ANALYTICS_ROLLUP_SCHEDULE_ID } from '../analytics/contract';
import { rollUpUsageWorkflow } from '../analytics/workflows';

type ScheduleConfig = Pick<Config, 'RESERVATION_SWEEP_INTERVAL' | 'RETENTION_SWEEP_INTERVAL' | 'SECURITY_DATA_CLEANUP_INTERVAL' | 'SECURITY_ALERT_INTERVAL' | 'ANALYTICS_ROLLUP_INTERVAL' | 'TEMPORAL_TASK_QUEUE'>;

/**
 * A schedule that starts `workflow` every `every` on the task queue, never two runs at
 * once, catching up missed runs within `catchupWindow`. The workflow id is the schedule id.
 */
function periodic(scheduleId: string, workflow: Workflow, every: number, catchupWindow: Duration, taskQueue: string): ScheduleOptions {
  return {
    scheduleId,
    spec: { intervals: [{ every }] },
    action: { type: 'startWorkflow', workflowType: workflow, workflowId: scheduleId, taskQueue },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow },
  };
}

export function scheduleDefinitions(config: ScheduleConfig): ScheduleOptions[] {
  const queue = config.TEMPORAL_TASK_QUEUE;
  return [
    periodic(RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID, releaseExpiredReservationsWorkflow, config.RESERVATION_SWEEP_INTERVAL, '1m', queue),
    // A missed sweep (cluster down) still runs when it is back.
    periodic(SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID, sweepExpiredExecutionsWorkflow, config.RETENTION_SWEEP_INTERVAL, '1d', queue),
    // Each run deletes everything due, so one catch-up run after an outage is enough.
    periodic(SECURITY_DATA_CLEANUP_SCHEDULE_ID, cleanUpSecurityDataWorkflow, config.SECURITY_DATA_CLEANUP_INTERVAL, '1d', queue),
    // Each run sends everything queued: no run needs catching up.
    periodic(SEND_SECURITY_ALERTS_SCHEDULE_ID, sendSecurityAlertsWorkflow, config.SECURITY_ALERT_INTERVAL, '1m', queue),
    // Each run catches up from its watermark: one catch-up run after an outage is enough.
    periodic(ANALYTICS_ROLLUP_SCHEDULE_ID, rollUpUsageWorkflow, config.ANALYTICS_ROLLUP_INTERVAL, '1d', queue),
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
