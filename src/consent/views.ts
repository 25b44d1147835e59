// What clients see of consent: a user's restriction and objections, and a row of their consent history.
import type { ProcessingChoices } from './processing';

/** What GET /v1/me shows of restriction and objections. */
export function privacyChoicesView(user: ProcessingChoices) {
  return {
    restricted: user.restricted,
    objections: { analytics: user.objectsToAnalytics, creatorSharing: user.objectsToCreatorSharing, marketing: user.objectsToMarketing },
  };
}

export function consentEventView(event: { purpose: string; granted: boolean; source: string; createdAt: Date }) {
  return { purpose: event.purpose, granted: event.granted, source: event.source, at: event.createdAt };
}
