// The mail feature's Temporal contract: the schedule that sends queued
// security alerts. Pure TypeScript: bundled into workflow code.

export const SEND_SECURITY_ALERTS_SCHEDULE_ID = 'send-security-alerts';

export interface SecurityAlertsSent {
  /** Security events turned into queued mail by this run. */
  queued: number;
  /** Queued mail handed to SMTP by this run (0 without SMTP_URL: it waits). */
  sent: number;
}
