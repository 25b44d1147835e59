// Security alerts: run by a Temporal Schedule (every minute by default), it
// turns new security events into queued mail and sends what is queued
// (src/mail/security-alerts.ts). Mail leaves only from this activity.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SecurityAlertsSent } from './contract';

const { sendSecurityAlerts } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', maximumInterval: '5m', maximumAttempts: 5 }, // the next scheduled run picks up the rest
});

export async function sendSecurityAlertsWorkflow(): Promise<SecurityAlertsSent> {
  return sendSecurityAlerts();
}
