// Credit monitoring offered to the people a breach exposed (SPEC feature 10):
// the saga asks a provider for one enrolment per (incident, user) and puts the
// code in the notice; when the incident is re-assessed the offers that no
// longer apply are closed. The provider is behind this interface. The one
// implementation here, `local`, makes codes itself (an HMAC of the reference
// under a server key, so asking twice gives the same code, as a real provider's
// idempotency key would); a contract with a real provider is an HTTP client
// implementing the same two calls.
import { createHmac, hkdfSync } from 'node:crypto';

export interface CreditMonitoringProvider {
  /** Issues (or returns the already issued) enrolment for `reference`: idempotent. */
  issue(reference: string): Promise<{ code: string }>;
  /** Withdraws the enrolment offer for `reference`: idempotent. */
  close(reference: string): Promise<void>;
}

/** The reference a provider knows an offer by: the incident and the user's id (no name, no address). */
export const offerReference = (incidentId: string, userId: string) => `${incidentId}:${userId}`;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I

/** Codes like `CM-7KQ2-9WXR-4TPA`, derived from the reference under a key of its own (HKDF of `secret`). */
export function localCreditMonitoring(secret: Buffer): CreditMonitoringProvider {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'sotally credit-monitoring codes v1', 32));
  return {
    async issue(reference) {
      const digest = createHmac('sha256', key).update(reference).digest();
      const chars = [...digest.subarray(0, 12)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
      return { code: `CM-${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}` };
    },
    async close() {
      // Nothing is held on this side: the recipient row records the offer as closed.
    },
  };
}
