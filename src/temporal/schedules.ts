// Temporal Schedules the system relies on, created (or brought up to date) by
// every worker at start. Visible and pausable in the Temporal UI.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config';
import { RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID } from '../credits/contract';
import { releaseExpiredReservationsWorkflow } from '../credits/workflows';
import { SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID } from '../retention/contract';
import { sweepExpiredExecutionsWorkflow } from '../retention/workflows';
import { SECURITY_DATA_CLEANUP_SCHEDULE_ID } from '../security-data/contract';
import { cleanUpSecurityDataWorkflow } from '../security-data/workflows';
import { SEND_SECURITY_ALERTS_SCHEDULE_ID } from '../mail/contract';
import { sendSecurityAlertsWorkflow } from '../mail/workflows';

type ScheduleConfig = Pick<Config, 'RESERVATION_SWEEP_INTERVAL' | 'RETENTION_SWEEP_INTERVAL' | 'SECURITY_DATA_CLEANUP_INTERVAL' | 'SECURITY_ALERT_INTERVAL' | 'TEMPORAL_TASK_QUEUE'>;

export function scheduleDefinitions(config: ScheduleConfig): ScheduleOptions[] {
  return [
    {
      scheduleId: RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID,
      spec: { intervals: [{ every: config.RESERVATION_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: releaseExpiredReservationsWorkflow,
        workflowId: RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    },
    {
      scheduleId: SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID,
      spec: { intervals: [{ every: config.RETENTION_SWEEP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: sweepExpiredExecutionsWorkflow,
        workflowId: SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      // A missed sweep (cluster down) still runs when it is back.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' },
    },
    {
      scheduleId: SECURITY_DATA_CLEANUP_SCHEDULE_ID,
      spec: { intervals: [{ every: config.SECURITY_DATA_CLEANUP_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: cleanUpSecurityDataWorkflow,
        workflowId: SECURITY_DATA_CLEANUP_SCHEDULE_ID,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      // Each run deletes everything due, so one catch-up run after an outage is enough.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' },
    },
    {
      scheduleId: SEND_SECURITY_ALERTS_SCHEDULE_ID,
      spec: { intervals: [{ every: config.SECURITY_ALERT_INTERVAL }] },
      action: {
        type: 'startWorkflow',
        workflowType: sendSecurityAlertsWorkflow,
        workflowId: SEND_SECURITY_ALERTS_SCHEDULE_ID,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      },
      // Each run sends everything queued: no run needs catching up.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
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
