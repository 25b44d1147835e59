// What affected users are sent, through the mail outbox (src/mail/service.ts):
// one notice per user per content version, carrying the credit-monitoring code
// when personal data was exposed, and one correction per user who was told and
// then found not affected (a narrowed scope, or a retracted incident).
//
// Exactly once: the outbox row is unique per (purpose, user, dedupe key), and
// the notice's preparer, asked inside the transaction that sends the mail,
// locks the recipient's row, refuses a notice that is no longer due (already
// sent for this version, out of scope, retracted) and marks it sent in that same
// transaction: a retried activity, a restarted worker or the outbox's safety-net
// schedule sending the same row finds it done. An SMTP failure rolls the mark
// back and is recorded on the recipient (the reply code, never the message,
// which may quote the address); the workflow's next pass tries again.
import type { Prisma, PrismaClient } from '@prisma/client';
import type { Profiles } from '../accounts/profile';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { DataKeys } from '../crypto/data-keys';
import type { MailPreparer, MailService } from '../mail/service';
import { NOTIFY_BATCH_SIZE, type NotifyBatch } from './contract';
import { offerReference, type CreditMonitoringProvider } from './credit-monitoring';
import { noticeTexts } from './notice';

const OFFER_CODE = ENCRYPTED_COLUMNS.incidentOfferCode;
/** Mail handed to SMTP at once per batch (each in its own transaction). */
export const SEND_CONCURRENCY = 4;

export const noticeKey = (incidentId: string, version: number, generation: number) => `${incidentId}:v${version}:g${generation}`;
export const correctionKey = (incidentId: string, generation: number) => `${incidentId}:c:g${generation}`;

/** What a failed send is recorded as: the SMTP reply code, or the kind of error. */
export function failureCode(err: unknown): string {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e?.responseCode === 'number') return `smtp_${e.responseCode}`;
  if (typeof e?.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code.toLowerCase().slice(0, 40);
  return 'error';
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}

async function lockRecipient(tx: Prisma.TransactionClient, incidentId: string, userId: string) {
  await tx.$queryRaw`SELECT 1 FROM incident_recipients WHERE incident_id = ${incidentId}::uuid AND user_id = ${userId}::uuid FOR UPDATE`;
  return tx.incidentRecipient.findUnique({ where: { incidentId_userId: { incidentId, userId } }, include: { incident: true } });
}

/** The outbox preparers of incident mail: the text at send time, or null (discard) when no longer due. */
export function incidentPreparers(deps: { dataKeys: DataKeys; contact: string }): Record<'breach_notice' | 'breach_correction', MailPreparer> {
  return {
    breach_notice: async (mail, tx) => {
      const { incidentId, version, generation } = mail.data as { incidentId: string; version: number; generation: number };
      if (mail.userId === null) return null;
      const recipient = await lockRecipient(tx, incidentId, mail.userId);
      if (!recipient || !recipient.inScope || recipient.incident.retractedAt) return null;
      const { incident } = recipient;
      if (incident.version !== version || recipient.scopeGeneration < generation) return null; // superseded: the next pass queues the current one
      if ((recipient.noticeVersion ?? 0) >= version) return null; // told already
      const offerCode =
        incident.personalDataExposed && recipient.offerCodeCiphertext && !recipient.offerClosedAt
          ? await deps.dataKeys.open(OFFER_CODE, incidentId, mail.userId, recipient.offerCodeCiphertext)
          : undefined;
      await tx.incidentRecipient.update({ where: { incidentId_userId: { incidentId, userId: mail.userId } }, data: { noticeVersion: version, notifiedAt: new Date(), lastError: null } });
      return { ...noticeTexts(incident, deps.contact), version: String(version), ...(offerCode ? { offerCode } : {}) };
    },
    breach_correction: async (mail, tx) => {
      const { incidentId } = mail.data as { incidentId: string };
      if (mail.userId === null) return null;
      const recipient = await lockRecipient(tx, incidentId, mail.userId);
      if (!recipient || recipient.inScope || recipient.noticeVersion === null || recipient.correctedAt) return null;
      await tx.incidentRecipient.update({ where: { incidentId_userId: { incidentId, userId: mail.userId } }, data: { correctedAt: new Date(), lastError: null } });
      const { incident } = recipient;
      return {
        incidentId,
        title: incident.title,
        contact: deps.contact,
        retracted: incident.retractedAt ? 'true' : 'false',
        reason: incident.retractReason ?? '',
        offerClosed: recipient.offerIssuedAt ? 'true' : 'false',
      };
    },
  };
}

export interface DeliveryDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  profiles: Profiles;
  mail: MailService;
  creditMonitoring: CreditMonitoringProvider;
}

export function createIncidentDelivery({ prisma, dataKeys, profiles, mail, creditMonitoring }: DeliveryDeps) {
  type Recipient = Prisma.IncidentRecipientGetPayload<{ include: { user: true } }>;

  async function recordFailure(r: Recipient, code: string) {
    await prisma.incidentRecipient.update({ where: { incidentId_userId: { incidentId: r.incidentId, userId: r.userId } }, data: { lastError: code } });
  }

  /**
   * Handles each recipient of a batch, then marks it tried in this pass: a recipient whose handling
   * was cut short (the worker died) is not marked, and the retried batch takes it again.
   */
  async function handleEach(rows: Recipient[], pass: number, handle: (r: Recipient) => Promise<void>) {
    await eachLimited(rows, SEND_CONCURRENCY, async (r) => {
      await handle(r);
      await prisma.incidentRecipient.update({ where: { incidentId_userId: { incidentId: r.incidentId, userId: r.userId } }, data: { lastPass: pass, attempts: { increment: 1 } } });
    });
  }

  /** Issues the user's enrolment once (the provider is idempotent by reference; the row keeps the first code). */
  async function issueOffer(r: Recipient) {
    if (r.offerCodeCiphertext) return;
    const { code } = await creditMonitoring.issue(offerReference(r.incidentId, r.userId));
    const sealed = await dataKeys.seal(OFFER_CODE, r.incidentId, r.userId, code);
    await prisma.incidentRecipient.updateMany({
      where: { incidentId: r.incidentId, userId: r.userId, offerCodeCiphertext: null },
      data: { offerCodeCiphertext: sealed, offerIssuedAt: new Date() },
    });
  }

  async function closeOffer(r: Recipient) {
    if (!r.offerIssuedAt || r.offerClosedAt) return;
    await creditMonitoring.close(offerReference(r.incidentId, r.userId));
    await prisma.incidentRecipient.update({ where: { incidentId_userId: { incidentId: r.incidentId, userId: r.userId } }, data: { offerClosedAt: new Date() } });
  }

  /** Queues and sends one mail to the recipient; counts the outcome. */
  async function deliver(r: Recipient, purpose: 'breach_notice' | 'breach_correction', dedupeKey: string, data: Record<string, string | number>, result: NotifyBatch) {
    try {
      if (r.user.erasureStartedAt) return void (await recordFailure(r, 'account_being_erased'));
      const { email } = await profiles.open(r.user);
      const id = await mail.enqueue({ userId: r.userId, purpose, dedupeKey, recipient: email, data: data as unknown as Record<string, string> });
      const outcome = await mail.send(id);
      if (outcome === 'sent') result.sent += 1;
      if (outcome === 'no_smtp') {
        result.failed += 1;
        await recordFailure(r, 'no_smtp');
      }
    } catch (err) {
      result.failed += 1;
      await recordFailure(r, failureCode(err));
    }
  }

  /** The next recipients `where` names that this pass has not tried yet. */
  const takeBatch = (where: Prisma.IncidentRecipientWhereInput, pass: number): Promise<Recipient[]> =>
    prisma.incidentRecipient.findMany({ where: { ...where, lastPass: { lt: pass } }, orderBy: { userId: 'asc' }, take: NOTIFY_BATCH_SIZE, include: { user: true } });

  return {
    /** Pass `pass` over the users in scope not yet told the current version: issue offers, send notices. */
    async notifyBatch(incidentId: string, pass: number): Promise<NotifyBatch> {
      const incident = await prisma.incident.findUniqueOrThrow({ where: { id: incidentId } });
      const result: NotifyBatch = { sent: 0, failed: 0, more: false };
      if (incident.retractedAt || incident.closedAt) return result;
      const rows = await takeBatch({ incidentId, inScope: true, OR: [{ noticeVersion: null }, { noticeVersion: { lt: incident.version } }] }, pass);
      await handleEach(rows, pass, async (r) => {
        try {
          if (incident.personalDataExposed) await issueOffer(r);
          else await closeOffer(r); // re-assessed: no personal data exposed after all
        } catch (err) {
          result.failed += 1;
          return void (await recordFailure(r, `offer_${failureCode(err)}`));
        }
        await deliver(r, 'breach_notice', noticeKey(incidentId, incident.version, r.scopeGeneration), { incidentId, version: incident.version, generation: r.scopeGeneration }, result);
      });
      result.more = rows.length === NOTIFY_BATCH_SIZE;
      return result;
    },

    /** Pass `pass` over the users out of scope: close their offers, correct those who were told. */
    async correctionBatch(incidentId: string, pass: number): Promise<NotifyBatch> {
      const incident = await prisma.incident.findUniqueOrThrow({ where: { id: incidentId } });
      const result: NotifyBatch = { sent: 0, failed: 0, more: false };
      const rows = await takeBatch(
        { incidentId, inScope: false, OR: [{ noticeVersion: { not: null }, correctedAt: null }, { offerIssuedAt: { not: null }, offerClosedAt: null }] },
        pass,
      );
      await handleEach(rows, pass, async (r) => {
        try {
          await closeOffer(r);
        } catch (err) {
          result.failed += 1;
          return void (await recordFailure(r, `offer_${failureCode(err)}`));
        }
        if (r.noticeVersion !== null && !r.correctedAt) await deliver(r, 'breach_correction', correctionKey(incidentId, incident.scopeGeneration), { incidentId }, result);
      });
      result.more = rows.length === NOTIFY_BATCH_SIZE;
      return result;
    },
  };
}

export type IncidentDelivery = ReturnType<typeof createIncidentDelivery>;
