// The signed one-click unsubscribe token of a marketing mail. It carries the user's id,
// the purpose, the mail it came in (the outbox row, so a link works once) and an expiry,
// never an email address; an HMAC-SHA256 under a key derived by HKDF from EMAIL_INDEX_KEY
// (a secret every API and worker replica already shares and that never rotates, so links
// stay valid; the HKDF label keeps the two uses apart) makes it unforgeable.
//   token = "u1." base64url(JSON payload) "." base64url(HMAC(key, "u1." payload))
import { createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../accounts/credentials';
import { DomainError } from '../errors';

/** Where the link points (PUBLIC_BASE_URL + this + ?token=). */
export const UNSUBSCRIBE_PATH = '/v1/unsubscribe';

const VERSION = 'u1';
const HKDF_INFO = 'sotally unsubscribe link v1';

const Payload = z
  .object({
    /** user id */
    u: z.string().uuid(),
    /** purpose */
    p: z.literal('marketing'),
    /** outbox id of the mail */
    m: z.string().uuid(),
    /** expiry, seconds since the epoch */
    x: z.number().int().positive(),
  })
  .strict();

export interface UnsubscribeClaims {
  userId: string;
  purpose: 'marketing';
  mailId: string;
  expiresAt: Date;
}

/** The signing key: HKDF-SHA256 of the email index key, labelled for this use only. */
export function unsubscribeKey(emailIndexKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', emailIndexKey, Buffer.alloc(0), HKDF_INFO, 32));
}

const mac = (key: Buffer, signed: string) => createHmac('sha256', key).update(signed).digest('base64url');

export function signUnsubscribeToken(key: Buffer, claims: UnsubscribeClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ u: claims.userId, p: claims.purpose, m: claims.mailId, x: Math.floor(claims.expiresAt.getTime() / 1000) }),
  ).toString('base64url');
  const signed = `${VERSION}.${payload}`;
  return `${signed}.${mac(key, signed)}`;
}

const invalid = () => new DomainError('unsubscribe_link_invalid');

/** The token's claims; a malformed or tampered token is `unsubscribe_link_invalid`, an expired one `unsubscribe_link_expired`. */
export function verifyUnsubscribeToken(key: Buffer, token: string, now = new Date()): UnsubscribeClaims {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) throw invalid();
  const [version, payload, signature] = parts as [string, string, string];
  if (!safeEqual(signature, mac(key, `${version}.${payload}`))) throw invalid();
  let parsed: z.infer<typeof Payload>;
  try {
    parsed = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw invalid(); // signed by us yet unreadable: never happens unless the format changed
  }
  const expiresAt = new Date(parsed.x * 1000);
  if (expiresAt.getTime() <= now.getTime()) throw new DomainError('unsubscribe_link_expired');
  return { userId: parsed.u, purpose: parsed.p, mailId: parsed.m, expiresAt };
}

/** The link a marketing mail carries, under the API's public address. */
export function unsubscribeUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`;
}
