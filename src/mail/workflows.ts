// Security alerts: run by a Temporal Schedule (every minute by default), it
// turns new security events into queued mail and sends what is queued
// (src/mail/security-alerts.ts). Mail leaves only from this activity.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CampaignQueued, CampaignResult, SecurityAlertsSent } from './contract';

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
