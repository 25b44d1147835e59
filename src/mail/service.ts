// Mail through an outbox. A mail is first a row, unique per (purpose, user,
// dedupe key): queuing the same mail twice (a retried activity, a restarted
// worker) finds the row. Sending locks the row, skips it when already sent,
// hands the message to SMTP and marks it sent in the same transaction, so a
// retry after a crash resends only if the crash fell between SMTP's accept and
// the commit (and then with the same Message-ID, which receivers deduplicate).
// Only activities send; the recipient address is sealed under the user's key,
// or, for mail to someone whose account is gone (the erasure confirmation),
// under the keyring, and then destroyed once the mail is sent.
// A purpose may have a preparer, asked at send time inside the same transaction:
// it completes the template's data (marketing: the campaign's text and the signed
// unsubscribe link naming this very mail) or says the mail is no longer wanted
// (marketing to a user who withdrew consent, objected or restricted processing
// since it was queued), and the row is then marked discarded, never sent.
// and so is a one-time secret a mail carries (a re-authentication code), which
// is destroyed in the transaction that marks the mail sent.
//
// The one window: SMTP answered 250 (the server took the message) and the
// worker died, or the database failed, before the commit. The lock is then
// released with the row still unsent, and a retry sends the message again,
// under the same Message-ID `<id@outbox.sotally>`, so a receiving server or
// client that deduplicates by Message-ID drops the copy. Everywhere else (a
// crash before the 250, a timeout, a retried or racing activity) the mail goes
// exactly once (test/mail/worker-crash.test.ts kills the worker mid-send).
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@prisma/client';
import type { Transporter } from 'nodemailer';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { DataKeys } from '../crypto/data-keys';
import { renderMail, type MailPurpose } from './templates';

type MailRow = { id: string; userId: string | null; purpose: string; dedupeKey: string; data: Prisma.JsonValue };
/** The template's data for this mail, or null when it must not be sent any more. */
export type MailPreparer = (mail: MailRow, tx: Prisma.TransactionClient) => Promise<Record<string, string> | null>;

const RECIPIENT = ENCRYPTED_COLUMNS.mailRecipient;
const SEALED_RECIPIENT = ENCRYPTED_COLUMNS.mailSealedRecipient;
const SECRET = ENCRYPTED_COLUMNS.mailSecret;

export interface MailDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  /** null when no SMTP server is configured: mail waits in the outbox. */
  transport: Transporter | null;
  from: string;
  /** Send-time preparers by purpose (see above); a purpose without one is sent with its stored data. */
  preparers?: Partial<Record<MailPurpose, MailPreparer>>;
}

export function createMailService({ prisma, dataKeys, transport, from, preparers = {} }: MailDeps) {
  async function recipientOf(mail: { id: string; userId: string | null; recipientCiphertext: Uint8Array | null; sealedRecipientCiphertext: Uint8Array | null }) {
    if (mail.userId !== null && mail.recipientCiphertext) return dataKeys.open(RECIPIENT, mail.id, mail.userId, mail.recipientCiphertext);
    if (mail.sealedRecipientCiphertext) return dataKeys.keyring.open(SEALED_RECIPIENT, mail.id, mail.sealedRecipientCiphertext);
    throw new Error(`mail ${mail.id} has no recipient`);
  }

  return {
    /** Queues a mail once per (purpose, user, dedupe key), in `db`'s transaction when given; returns the outbox row's id. */
    async enqueue(
      mail: { userId: string; purpose: MailPurpose; dedupeKey: string; recipient: string; data: Record<string, string>; secret?: string },
      db: PrismaClient | Prisma.TransactionClient = prisma,
    ): Promise<string> {
      const key = { purpose: mail.purpose, userId: mail.userId, dedupeKey: mail.dedupeKey };
      const existing = await db.mailOutbox.findUnique({ where: { purpose_userId_dedupeKey: key }, select: { id: true } });
      if (existing) return existing.id;
      const id = randomUUID();
      const recipientCiphertext = await dataKeys.seal(RECIPIENT, id, mail.userId, mail.recipient);
      const secretCiphertext = mail.secret === undefined ? null : await dataKeys.seal(SECRET, id, mail.userId, mail.secret);
      await db.mailOutbox.createMany({ data: [{ id, ...key, recipientCiphertext, secretCiphertext, data: mail.data as Prisma.InputJsonValue }], skipDuplicates: true });
      return (await db.mailOutbox.findUniqueOrThrow({ where: { purpose_userId_dedupeKey: key }, select: { id: true } })).id;
    },

    /**
     * Queues a mail to someone with no account (any more): the row's id is `id`, which makes
     * queuing it twice a no-op, and the address is sealed under the keyring until the mail is sent.
     */
    async enqueueWithoutAccount(
      mail: { id: string; purpose: MailPurpose; dedupeKey: string; recipient: string; data: Record<string, string> },
      db: PrismaClient | Prisma.TransactionClient = prisma,
    ): Promise<string> {
      const sealedRecipientCiphertext = dataKeys.keyring.seal(SEALED_RECIPIENT, mail.id, mail.recipient);
      await db.mailOutbox.createMany({
        data: [{ id: mail.id, userId: null, purpose: mail.purpose, dedupeKey: mail.dedupeKey, sealedRecipientCiphertext, data: mail.data as Prisma.InputJsonValue }],
        skipDuplicates: true,
      });
      return mail.id;
    },

    /** Sends one queued mail unless it was sent already. */
    async send(outboxId: string): Promise<'sent' | 'already_sent' | 'discarded' | 'no_smtp'> {
      if (!transport) return 'no_smtp';
      return prisma.$transaction(
        async (tx) => {
          const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM mail_outbox WHERE id = ${outboxId}::uuid AND sent_at IS NULL AND discarded_at IS NULL FOR UPDATE`;
          if (!row) return 'already_sent' as const;
          const mail = await tx.mailOutbox.update({ where: { id: outboxId }, data: { attempts: { increment: 1 } } });
          const prepare = preparers[mail.purpose as MailPurpose];
          const data = prepare ? await prepare(mail, tx) : (mail.data as Record<string, string>);
          if (data === null) {
            await tx.mailOutbox.update({ where: { id: outboxId }, data: { discardedAt: new Date() } });
            return 'discarded' as const;
          }
          const to = await recipientOf(mail);
          const secret = mail.secretCiphertext && mail.userId ? await dataKeys.open(SECRET, mail.id, mail.userId, mail.secretCiphertext) : undefined;
          const rendered = renderMail(mail.purpose as MailPurpose, data, secret);
          await transport.sendMail({ from, to, messageId: `<${mail.id}@outbox.sotally>`, ...rendered });
          // An address kept only to reach someone whose account is gone is destroyed once used.
          await tx.mailOutbox.update({ where: { id: outboxId }, data: { sentAt: new Date(), sealedRecipientCiphertext: null, secretCiphertext: null } });
          return 'sent' as const;
        },
        { timeout: 60_000 },
      );
    },

    /** Ids of mail not sent yet, oldest first. */
    async pending(limit = 100): Promise<string[]> {
      // Mail to an account being erased waits: its key is (about to be) destroyed, and erasure deletes it.
      const rows = await prisma.mailOutbox.findMany({ where: { sentAt: null, discardedAt: null, NOT: { user: { erasureStartedAt: { not: null } } } }, orderBy: { createdAt: 'asc' }, take: limit, select: { id: true } });
      return rows.map((r) => r.id);
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
