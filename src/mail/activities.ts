import { heartbeat } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import type { Logger } from '../logger';
import { createProfiles } from '../accounts/profile';
import { parseEmailIndexKey } from '../accounts/email-index';
import { unsubscribeKey } from '../consent/unsubscribe-token';
import { createMailService, type MailService } from './service';
import { incidentPreparers } from '../incidents/delivery';
import { sendSecurityAlerts } from './security-alerts';
import { createMarketing, marketingPreparer } from './marketing';
import { createTransport } from './transport';
import { MARKETING_BATCH_SIZE, type CampaignQueued, type CampaignSent, type MailDelivery, type SecurityAlertsSent } from './contract';

const HEARTBEAT_EVERY_MS = 2_000;

/**
 * The outbox the worker sends through, with every purpose's send-time preparer: whichever activity
 * sends a row (its own, or the security-alert schedule's safety net), the same checks run.
 */
export function createOutbox({ prisma, config, dataKeys }: { prisma: PrismaClient; config: Config; dataKeys: DataKeys }): MailService {
  const emailIndexKey = parseEmailIndexKey(config.EMAIL_INDEX_KEY);
  return createMailService({
    prisma,
    dataKeys,
    transport: createTransport(config.SMTP_URL),
    from: config.MAIL_FROM,
    preparers: {
      marketing: marketingPreparer({ unsubscribeKey: unsubscribeKey(emailIndexKey), publicBaseUrl: config.PUBLIC_BASE_URL, linkTtlMs: config.UNSUBSCRIBE_LINK_TTL }),
      ...incidentPreparers({ dataKeys, contact: config.DPO_CONTACT }),
    },
  });
}

export function createMailActivities({ prisma, config, logger, dataKeys }: { prisma: PrismaClient; config: Config; logger: Logger; dataKeys: DataKeys }) {
  const emailIndexKey = parseEmailIndexKey(config.EMAIL_INDEX_KEY);
  const mail = createOutbox({ prisma, config, dataKeys });
  const profiles = createProfiles(prisma, dataKeys, emailIndexKey);
  const marketing = createMarketing(prisma, profiles, mail);
  return {
    async sendSecurityAlerts(): Promise<SecurityAlertsSent> {
      const result = await sendSecurityAlerts(prisma, profiles, mail);
      if (result.queued || result.sent) logger.info(result, 'security alerts queued and sent');
      if (!config.SMTP_URL && result.queued) logger.warn('SMTP_URL is not set: security alerts wait in the outbox');
      return result;
    },

    /** Queues a campaign's mail for the next batch of users who may receive marketing. */
    queueMarketingMail: (campaignId: string, afterUserId: string | null): Promise<CampaignQueued> => marketing.queueBatch(campaignId, afterUserId, MARKETING_BATCH_SIZE),

    /** Sends the next batch of a campaign's queued mail (each checked again: consent, objection, restriction). */
    async sendMarketingMail(campaignId: string): Promise<CampaignSent> {
      if (!config.SMTP_URL) logger.warn({ campaignId }, 'SMTP_URL is not set: marketing mail waits in the outbox');
      return marketing.sendBatch(campaignId, MARKETING_BATCH_SIZE);
    },

    async finishMarketingCampaign(campaignId: string, totals: { queued: number; sent: number }): Promise<void> {
      await marketing.finish(campaignId, totals);
      logger.info({ campaignId, ...totals }, 'marketing campaign finished');
    },

    /** Sends one queued mail (deliverMailWorkflow), heartbeating while SMTP talks. */
    async deliverMail(outboxId: string): Promise<MailDelivery> {
      const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const result = await mail.send(outboxId);
        if (result === 'no_smtp') logger.warn('SMTP_URL is not set: the mail waits in the outbox');
        return result;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
