// The mail feature's Temporal contract: the schedule that sends queued
// security alerts, and the workflow that sends one queued mail at once.
// Pure TypeScript: bundled into workflow code.

export const SEND_SECURITY_ALERTS_SCHEDULE_ID = 'send-security-alerts';

/** The id of the workflow that delivers one outbox row: one per row, so starting it twice starts it once. */
export const mailDeliveryWorkflowId = (outboxId: string) => `mail-${outboxId}`;

/** What sending one outbox row did (`no_smtp`: SMTP_URL is unset, the mail waits in the outbox). */
export type MailDelivery = 'sent' | 'already_sent' | 'discarded' | 'no_smtp';

export interface SecurityAlertsSent {
  /** Security events turned into queued mail by this run. */
  queued: number;
  /** Queued mail handed to SMTP by this run (0 without SMTP_URL: it waits). */
  sent: number;
}

/** A marketing campaign's workflow: one per campaign, its id from the campaign's. */
export const marketingCampaignWorkflowId = (campaignId: string) => `marketing-campaign-${campaignId}`;

/** Mail queued per activity call (and sent per call): bounds each activity's time. */
export const MARKETING_BATCH_SIZE = 200;

export interface CampaignQueued {
  queued: number;
  /** The last user id of a full batch (queue the next after it), or null when done. */
  nextAfter: string | null;
}

export interface CampaignSent {
  sent: number;
  /** Queued, then no longer wanted at send time (consent withdrawn, objection, restriction). */
  discarded: number;
  more: boolean;
}

export interface CampaignResult {
  queued: number;
  sent: number;
  discarded: number;
}
