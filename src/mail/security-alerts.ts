// Security-alert mail: every recorded security event (src/accounts/security-events.ts)
// becomes one queued mail to the account's address (dedupe key: the event id,
// so it is queued once however often this runs), then every queued mail is sent.
// What the event's `details` say (a new log-in's device family and kind of
// network, never an address) goes into the mail.
import type { PrismaClient } from '@prisma/client';
import type { Profiles } from '../accounts/profile';
import type { SecurityAlertsSent } from './contract';
import type { MailService } from './service';

/** The string fields of an event's details (the template shows them; anything else is ignored). */
function eventDetails(details: unknown): Record<string, string> {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return {};
  return Object.fromEntries(Object.entries(details).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export async function sendSecurityAlerts(prisma: PrismaClient, profiles: Profiles, mail: MailService, batchSize = 500): Promise<SecurityAlertsSent> {
  const result: SecurityAlertsSent = { queued: 0, sent: 0 };
  const events = await prisma.securityEvent.findMany({ where: { notifiedAt: null, user: { erasureStartedAt: null } }, orderBy: { createdAt: 'asc' }, take: batchSize, include: { user: true } });
  for (const event of events) {
    const account = await profiles.open(event.user);
    await mail.enqueue({
      userId: event.userId,
      purpose: 'security_alert',
      dedupeKey: event.id,
      recipient: account.email,
      data: { ...eventDetails(event.details), type: event.type, at: event.createdAt.toISOString() },
    });
    await prisma.securityEvent.update({ where: { id: event.id }, data: { notifiedAt: new Date() } });
    result.queued += 1;
  }
  for (const id of await mail.pending(batchSize)) {
    if ((await mail.send(id)) === 'sent') result.sent += 1;
  }
  return result;
}
