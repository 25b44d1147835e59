// Marketing mail, only with consent. An operator writes a campaign (subject and
// plain-text body: `npm run mail -- campaign`), which starts
// sendMarketingCampaignWorkflow: it queues one outbox mail per eligible user
// (processingAllowed(user, 'marketing'): consent given, no objection, processing
// not restricted; dedupe key = the campaign id, so a retried batch queues nothing
// twice), then sends them. Eligibility is asked again at send time, in the send's
// transaction (the marketing preparer), so a user who unsubscribes, objects or
// restricts processing after the queueing gets nothing. Each mail carries a signed
// one-click unsubscribe link naming that very mail (src/consent/unsubscribe-token.ts)
// and the RFC 8058 headers.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { z } from 'zod';
import type { Profiles } from '../accounts/profile';
import { eligibleWhere, processingAllowed } from '../consent/processing';
import { signUnsubscribeToken, unsubscribeUrl } from '../consent/unsubscribe-token';
import { DomainError } from '../errors';
import type { MailPreparer, MailService } from './service';
import type { CampaignQueued, CampaignSent } from './contract';

export const MARKETING = 'marketing' as const;

export const CampaignInput = z
  .object({
    subject: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .refine((s) => !/[\r\n]/.test(s) && !s.includes('\u0000'), 'the subject is one line, without NUL'),
    body: z
      .string()
      .trim()
      .min(1)
      .max(50_000)
      .refine((s) => !s.includes('\u0000'), 'no NUL characters'),
  })
  .strict();

/** Records a campaign; the caller starts its workflow. */
export async function createCampaign(prisma: PrismaClient, input: { subject: string; body: string }) {
  const parsed = CampaignInput.safeParse(input);
  if (!parsed.success) throw new DomainError('validation_failed', 'the campaign is not valid', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  return prisma.marketingCampaign.create({ data: { id: randomUUID(), ...parsed.data } });
}

/** The send-time check and data of a marketing mail: null (discard) when the user may no longer be mailed. */
export function marketingPreparer(settings: { unsubscribeKey: Buffer; publicBaseUrl: string; linkTtlMs: number }): MailPreparer {
  return async (mail, tx) => {
    if (mail.userId === null) return null; // marketing goes to accounts only
    const user = await tx.user.findUnique({ where: { id: mail.userId } });
    if (!user || !processingAllowed(user, 'marketing')) return null;
    const campaign = await tx.marketingCampaign.findUnique({ where: { id: mail.dedupeKey } });
    if (!campaign) return null;
    const token = signUnsubscribeToken(settings.unsubscribeKey, {
      userId: mail.userId,
      purpose: 'marketing',
      mailId: mail.id,
      expiresAt: new Date(Date.now() + settings.linkTtlMs),
    });
    return { subject: campaign.subject, body: campaign.body, unsubscribeUrl: unsubscribeUrl(settings.publicBaseUrl, token) };
  };
}

export function createMarketing(prisma: PrismaClient, profiles: Profiles, mail: MailService) {
  return {
    /** Queues the campaign's mail for the next `batchSize` eligible users after `afterUserId` (ids in order). */
    async queueBatch(campaignId: string, afterUserId: string | null, batchSize: number): Promise<CampaignQueued> {
      const campaign = await prisma.marketingCampaign.findUnique({ where: { id: campaignId }, select: { id: true } });
      if (!campaign) throw new DomainError('not_found', 'no such campaign');
      const users = await prisma.user.findMany({
        where: { ...eligibleWhere('marketing'), ...(afterUserId ? { id: { gt: afterUserId } } : {}) },
        orderBy: { id: 'asc' },
        take: batchSize,
      });
      for (const user of users) {
        const { email } = await profiles.open(user);
        await mail.enqueue({ userId: user.id, purpose: MARKETING, dedupeKey: campaignId, recipient: email, data: { campaignId } });
      }
      return { queued: users.length, nextAfter: users.length === batchSize ? users[users.length - 1]!.id : null };
    },

    /** Sends up to `batchSize` of the campaign's queued mail; `more` while some are left. */
    async sendBatch(campaignId: string, batchSize: number): Promise<CampaignSent> {
      const rows = await prisma.mailOutbox.findMany({
        where: { purpose: MARKETING, dedupeKey: campaignId, sentAt: null, discardedAt: null },
        orderBy: { createdAt: 'asc' },
        take: batchSize,
        select: { id: true },
      });
      const result: CampaignSent = { sent: 0, discarded: 0, more: false };
      for (const { id } of rows) {
        const outcome = await mail.send(id);
        if (outcome === 'no_smtp') return result; // no SMTP: the mail waits in the outbox (the alert schedule sends it later)
        if (outcome === 'sent') result.sent += 1;
        if (outcome === 'discarded') result.discarded += 1;
      }
      result.more = rows.length === batchSize;
      return result;
    },

    async finish(campaignId: string, totals: { queued: number; sent: number }): Promise<void> {
      await prisma.marketingCampaign.update({ where: { id: campaignId }, data: { ...totals, finishedAt: new Date() } });
    },
  };
}
