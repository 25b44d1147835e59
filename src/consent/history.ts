// Consent history: every change of a consent, of the cookie preference, of
// restriction and of each objection becomes a row (which one, the new value,
// the source, when), written in the transaction that makes the change, so the
// history and the account never disagree. It is part of the user's export and
// is deleted with the account (src/privacy/register.ts: consent_events).
import type { Prisma, PrismaClient, User } from '@prisma/client';
import { notFound } from '../errors';

type Db = PrismaClient | Prisma.TransactionClient;

/** What a history row is about, and the users column that holds its current value. */
export const CONSENT_PURPOSES = {
  marketing: 'marketingConsent',
  analytics_cookies: 'analyticsCookies',
  restriction: 'restricted',
  objection_analytics: 'objectsToAnalytics',
  objection_creator_sharing: 'objectsToCreatorSharing',
  objection_marketing: 'objectsToMarketing',
} as const satisfies Record<string, keyof User>;

export type ConsentPurpose = keyof typeof CONSENT_PURPOSES;

/** Where a change came from. */
export type ConsentSource = 'signup' | 'settings' | 'unsubscribe_link' | 'dpo';

/**
 * Sets the given choices on the user and records each one that changed, inside `tx` (the
 * caller's transaction). The user row is locked first, so two concurrent changes are both
 * recorded in the order they were made. A value equal to the current one is no change and
 * leaves no row. Returns the user as it is now.
 */
export async function changeChoices(
  tx: Prisma.TransactionClient,
  userId: string,
  choices: Partial<Record<ConsentPurpose, boolean>>,
  source: ConsentSource,
  options: { mailId?: string } = {},
): Promise<User> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
  if (locked.length === 0) throw notFound('user');
  const current = await tx.user.findUniqueOrThrow({ where: { id: userId } });
  const changed = (Object.entries(choices) as [ConsentPurpose, boolean | undefined][]).filter(
    ([purpose, value]) => value !== undefined && current[CONSENT_PURPOSES[purpose]] !== value,
  ) as [ConsentPurpose, boolean][];
  const now = new Date();
  // A link's use is recorded even when it changes nothing (consent already withdrawn): a link works once.
  const events = changed.map(([purpose, granted]) => ({ userId, purpose, granted, source, createdAt: now }));
  if (options.mailId && events.length === 0) events.push({ userId, purpose: 'marketing', granted: current.marketingConsent, source, createdAt: now });
  if (changed.length === 0 && events.length === 0) return current;
  const data = Object.fromEntries(changed.map(([purpose, value]) => [CONSENT_PURPOSES[purpose], value]));
  const user = changed.length ? await tx.user.update({ where: { id: userId }, data }) : current;
  await tx.consentEvent.createMany({ data: events.map((e, i) => ({ ...e, ...(i === 0 && options.mailId ? { mailId: options.mailId } : {}) })) });
  return user;
}

/** The user's consent history, oldest first. */
export function consentHistory(db: Db, userId: string) {
  return db.consentEvent.findMany({ where: { userId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
}
