// Who is calling: a personal API token (Authorization: Bearer stl_...) or the
// `sid` session cookie. Sessions live in Postgres (revocable, shared by every
// API replica). Cookie-authenticated unsafe requests must carry X-CSRF-Token,
// the value of the readable `csrf_token` cookie set next to `sid`.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { PrismaClient, Role } from '@prisma/client';
import { sqlPool } from '../db';
import type { CredentialCache } from './credential-cache';
import { DomainError } from '../errors';
import { API_TOKEN_PREFIX, csrfTokenFor, safeEqual, sha256 } from '../accounts/credentials';

export interface Principal {
  userId: string;
  roles: Role[];
  via: 'session' | 'token';
  sessionId?: string;
  tokenId?: string;
  /** Whether the caller proved the account on this session or token within REAUTH_TTL (POST /v1/auth/reauth). */
  freshlyProven: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

export const SESSION_COOKIE = 'sid';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const invalidToken = () => new DomainError('invalid_token', 'the Bearer token is invalid or revoked');

/** A token or session with its user's id and roles, read by its hash in one prepared statement. */
interface Credential {
  id: string;
  user_id: string;
  roles: Role[];
  revoked_at: Date | null;
  proven_at: Date | null;
  last_used_at?: Date | null;
  expires_at?: Date;
}

const TOKEN_BY_HASH = {
  name: 'auth-token-by-hash',
  text: `SELECT t.id, t.user_id, u.roles::text[] AS roles, t.revoked_at, t.proven_at, t.last_used_at
           FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`,
};
const SESSION_BY_HASH = {
  name: 'auth-session-by-hash',
  text: `SELECT s.id, s.user_id, u.roles::text[] AS roles, s.revoked_at, s.proven_at, s.expires_at
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
};

/** `csrfExempt` names requests whose CSRF defence is elsewhere (see app.ts). */
export function authenticate(
  prisma: PrismaClient,
  options: { reauthTtlMs: number; csrfExempt?: (req: Request) => boolean; credentials?: CredentialCache },
): RequestHandler {
  const csrfExempt = options.csrfExempt ?? (() => false);
  // Every request needs one of these: plain prepared statements on Prisma's own pool (src/db.ts),
  // remembered briefly by the credential cache (src/api/credential-cache.ts) when there is one.
  const pool = sqlPool(prisma);
  const byHash = (statement: typeof TOKEN_BY_HASH, secret: string) => {
    const hash = sha256(secret);
    const load = async () => (await pool.query<Credential>({ ...statement, values: [hash] })).rows[0];
    return options.credentials ? options.credentials.read(`${statement.name}:${hash}`, load) : load();
  };
  // A write by this user forgets their remembered credentials when it ends, so their next request
  // reads what it committed (a logout, a revoked token, a fresh proof).
  const writing = (req: Request, res: Response, userId: string) => {
    if (options.credentials && !SAFE_METHODS.has(req.method)) res.once('close', options.credentials.beginWrite(userId));
  };
  const fresh = (provenAt: Date | null) => provenAt !== null && Date.now() - provenAt.getTime() < options.reauthTtlMs;
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer (\S+)$/.exec(header);
      if (!match || !match[1]?.startsWith(API_TOKEN_PREFIX)) throw invalidToken();
      const token = await byHash(TOKEN_BY_HASH, match[1]);
      if (!token || token.revoked_at) throw invalidToken();
      req.principal = { userId: token.user_id, roles: token.roles, via: 'token', tokenId: token.id, freshlyProven: fresh(token.proven_at) };
      writing(req, res, token.user_id);
      // Last use is advisory: at most one write a minute per token, and the request does not wait for it.
      const now = new Date();
      if (!token.last_used_at || now.getTime() - token.last_used_at.getTime() > 60_000) {
        token.last_used_at = now; // a remembered token is not written again within the minute
        prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } }).catch(() => undefined);
      }
      return next();
    }

    const sid = readCookie(req, SESSION_COOKIE);
    if (sid) {
      const session = await byHash(SESSION_BY_HASH, sid);
      if (session && !session.revoked_at && session.expires_at! > new Date()) {
        if (!SAFE_METHODS.has(req.method) && !csrfExempt(req)) {
          const sent = req.header(CSRF_HEADER);
          if (!sent || !safeEqual(sent, csrfTokenFor(sid))) {
            throw new DomainError('csrf_token_invalid', `cookie-authenticated requests must send the ${CSRF_HEADER} header`);
          }
        }
        req.principal = { userId: session.user_id, roles: session.roles, via: 'session', sessionId: session.id, freshlyProven: fresh(session.proven_at) };
        writing(req, res, session.user_id);
      }
    }
    next();
  };
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  return parseCookie(header)[name];
}

/** Sets `sid` (HttpOnly) and `csrf_token` (readable by the page's script). */
export function setSessionCookies(res: Response, sessionToken: string, maxAgeMs: number, secure: boolean): void {
  const common = { path: '/', secure, maxAge: Math.floor(maxAgeMs / 1000) };
  res.append('Set-Cookie', stringifySetCookie(SESSION_COOKIE, sessionToken, { ...common, httpOnly: true, sameSite: 'lax' }));
  res.append('Set-Cookie', stringifySetCookie(CSRF_COOKIE, csrfTokenFor(sessionToken), { ...common, sameSite: 'strict' }));
}

export function clearSessionCookies(res: Response, secure: boolean): void {
  const gone = { path: '/', secure, maxAge: 0, expires: new Date(0) };
  res.append('Set-Cookie', stringifySetCookie(SESSION_COOKIE, '', { ...gone, httpOnly: true, sameSite: 'lax' }));
  res.append('Set-Cookie', stringifySetCookie(CSRF_COOKIE, '', { ...gone, sameSite: 'strict' }));
}
