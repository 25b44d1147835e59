// The one rule for non-essential processing: everything that analyses a user's
// activity, shares their (anonymized) inputs with creators, or mails them
// marketing asks `processingAllowed` first (or selects with the matching
// `eligibleWhere`, which says the same in SQL). Runs the user starts, their
// security alerts and everything else the contract needs are essential and
// never ask.
import type { Prisma, User } from '@prisma/client';

export const PROCESSING_PURPOSES = ['analytics', 'creatorSharing', 'marketing'] as const;
export type ProcessingPurpose = (typeof PROCESSING_PURPOSES)[number];

export type ProcessingChoices = Pick<User, 'restricted' | 'objectsToAnalytics' | 'objectsToCreatorSharing' | 'objectsToMarketing' | 'marketingConsent'>;

/**
 * Whether the user's data may be used for `purpose`: never while processing is restricted
 * (Art. 18) or the user objects to the purpose (Art. 21); marketing also needs consent.
 */
export function processingAllowed(user: ProcessingChoices, purpose: ProcessingPurpose): boolean {
  if (user.restricted) return false;
  switch (purpose) {
    case 'analytics':
      return !user.objectsToAnalytics;
    case 'creatorSharing':
      return !user.objectsToCreatorSharing;
    case 'marketing':
      return user.marketingConsent && !user.objectsToMarketing;
  }
}

/** The same rule as a Prisma filter on users, for selecting in bulk (test/consent checks they agree). */
export function eligibleWhere(purpose: ProcessingPurpose): Prisma.UserWhereInput {
  switch (purpose) {
    case 'analytics':
      return { restricted: false, objectsToAnalytics: false };
    case 'creatorSharing':
      return { restricted: false, objectsToCreatorSharing: false };
    case 'marketing':
      return { restricted: false, objectsToMarketing: false, marketingConsent: true };
  }
}
