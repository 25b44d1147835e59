// Consent, cookie preference, restriction and objection: each change and its
// history row move in one transaction (./history). Restriction and objections
// are privacy requests too, recorded and completed at once, in the same
// transaction: they take effect the moment they are answered, since every
// feature asks processingAllowed (./processing) at the time it processes.
import type { PrismaClient, User } from '@prisma/client';
import type { PrivacyRequests } from '../privacy/requests';
import { changeChoices, consentHistory, type ConsentPurpose, type ConsentSource } from './history';

export interface Objections {
  analytics?: boolean;
  creatorSharing?: boolean;
  marketing?: boolean;
}

/** Who asked: the user through the API (default), or the DPO for a request that arrived by email. */
export interface RequestOrigin {
  channel?: 'api' | 'email';
  openedBy?: string;
}

const sourceOf = (origin: RequestOrigin): ConsentSource => (origin.openedBy?.startsWith('dpo:') ? 'dpo' : 'settings');

export function createConsentService(prisma: PrismaClient, requests: PrivacyRequests) {
  const change = (userId: string, choices: Partial<Record<ConsentPurpose, boolean>>, source: ConsentSource) =>
    prisma.$transaction((tx) => changeChoices(tx, userId, choices, source));

  return {
    /** Give or withdraw marketing consent. */
    setMarketingConsent: (userId: string, marketing: boolean, source: ConsentSource = 'settings'): Promise<User> => change(userId, { marketing }, source),

    /** Allow or refuse analytics cookies (the front end's; the server sets none). */
    setAnalyticsCookies: (userId: string, analytics: boolean, source: ConsentSource = 'settings'): Promise<User> =>
      change(userId, { analytics_cookies: analytics }, source),

    /** Restrict processing (or lift the restriction), recorded as a completed `restriction` request. */
    async setRestriction(userId: string, restricted: boolean, origin: RequestOrigin = {}): Promise<{ user: User; requestId: string }> {
      return prisma.$transaction(async (tx) => {
        const user = await changeChoices(tx, userId, { restriction: restricted }, sourceOf(origin));
        const request = await requests.open(userId, 'restriction', { ...origin, details: { restricted } }, tx);
        await requests.complete(request.id, tx);
        return { user, requestId: request.id };
      });
    },

    /** Object (true) or stop objecting (false) per purpose; purposes left out stay as they are. */
    async setObjections(userId: string, objections: Objections, origin: RequestOrigin = {}): Promise<{ user: User; requestId: string }> {
      return prisma.$transaction(async (tx) => {
        const user = await changeChoices(
          tx,
          userId,
          { objection_analytics: objections.analytics, objection_creator_sharing: objections.creatorSharing, objection_marketing: objections.marketing },
          sourceOf(origin),
        );
        const details = Object.fromEntries(Object.entries(objections).filter(([, v]) => v !== undefined));
        const request = await requests.open(userId, 'objection', { ...origin, details }, tx);
        await requests.complete(request.id, tx);
        return { user, requestId: request.id };
      });
    },

    history: (userId: string) => consentHistory(prisma, userId),
  };
}

export type ConsentService = ReturnType<typeof createConsentService>;
