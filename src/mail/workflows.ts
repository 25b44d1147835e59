// Mail leaves only from these activities.
// - Security alerts: run by a Temporal Schedule (every minute by default), it
//   turns new security events into queued mail and sends what is queued
//   (src/mail/security-alerts.ts). It is also the safety net of the next one.
// - One mail now (a re-authentication code the user is waiting for): the API
//   starts `deliverMailWorkflow(outboxId)` once the outbox row is committed
//   (workflow id `mail-<outbox id>`); its one activity sends that row.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CampaignQueued, CampaignResult, MailDelivery, SecurityAlertsSent } from './contract';

const { sendSecurityAlerts } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', maximumInterval: '5m', maximumAttempts: 5 }, // the next scheduled run picks up the rest
});

export async function sendSecurityAlertsWorkflow(): Promise<SecurityAlertsSent> {
  return sendSecurityAlerts();
}

const marketingActivities = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

/**
 * A marketing campaign (src/mail/marketing.ts): queue one mail per eligible user, batch by
 * batch (ids in order, so a retry or a replay queues nothing twice: dedupe key = campaign),
 * then send the queued mail batch by batch, and record the totals. Ids only in the history.
 */
export async function sendMarketingCampaignWorkflow(campaignId: string): Promise<CampaignResult> {
  const result: CampaignResult = { queued: 0, sent: 0, discarded: 0 };
  let after: string | null = null;
  do {
    const batch: CampaignQueued = await marketingActivities.queueMarketingMail(campaignId, after);
    result.queued += batch.queued;
    after = batch.nextAfter;
  } while (after !== null);
  for (;;) {
    const batch = await marketingActivities.sendMarketingMail(campaignId);
    result.sent += batch.sent;
    result.discarded += batch.discarded;
    if (!batch.more) break;
  }
  await marketingActivities.finishMarketingCampaign(campaignId, { queued: result.queued, sent: result.sent });
  return result;
}

const { deliverMail } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  // The activity heartbeats while SMTP talks: a worker that dies mid-send is noticed within
  // seconds and the mail is sent again from another (the row lock and sent mark keep it once).
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 }, // then the schedule picks it up
});

/** Sends one queued mail now; the argument is the outbox row's id, nothing personal. */
export async function deliverMailWorkflow(outboxId: string): Promise<MailDelivery> {
  return deliverMail(outboxId);
}
