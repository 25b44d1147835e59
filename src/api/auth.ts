// Who is calling: a personal API token (Authorization: Bearer stl_...) or the
// `sid` session cookie. Sessions live in Postgres (revocable, shared by every
// API replica). Cookie-authenticated unsafe requests must carry X-CSRF-Token,
// the value of the readable `csrf_token` cookie set next to `sid`.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { PrismaClient, Role } from '@prisma/client';
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

/** `csrfExempt` names requests whose CSRF defence is elsewhere (see app.ts). */
export function authenticate(
  prisma: PrismaClient,
  options: { reauthTtlMs: number; csrfExempt?: (req: Request) => boolean },
): RequestHandler {
  const csrfExempt = options.csrfExempt ?? (() => false);
  const fresh = (provenAt: Date | null) => provenAt !== null && Date.now() - provenAt.getTime() < options.reauthTtlMs;
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer (\S+)$/.exec(header);
      if (!match || !match[1]?.startsWith(API_TOKEN_PREFIX)) throw invalidToken();
      const token = await prisma.apiToken.findUnique({
        where: { tokenHash: sha256(match[1]) },
        include: { user: { select: { id: true, roles: true } } },
      });
      if (!token || token.revokedAt) throw invalidToken();
      req.principal = { userId: token.user.id, roles: token.user.roles, via: 'token', tokenId: token.id, freshlyProven: fresh(token.provenAt) };
      // Last use is advisory: at most one write a minute per token, and the request does not wait for it.
      const now = new Date();
      if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > 60_000) {
        prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } }).catch(() => undefined);
      }
      return next();
    }

    const sid = readCookie(req, SESSION_COOKIE);
    if (sid) {
      const session = await prisma.session.findUnique({
        where: { tokenHash: sha256(sid) },
        include: { user: { select: { id: true, roles: true } } },
      });
      if (session && !session.revokedAt && session.expiresAt > new Date()) {
        if (!SAFE_METHODS.has(req.method) && !csrfExempt(req)) {
          const sent = req.header(CSRF_HEADER);
          if (!sent || !safeEqual(sent, csrfTokenFor(sid))) {
            throw new DomainError('csrf_token_invalid', `cookie-authenticated requests must send the ${CSRF_HEADER} header`);
          }
        }
        req.principal = { userId: session.user.id, roles: session.user.roles, via: 'session', sessionId: session.id, freshlyProven: fresh(session.provenAt) };
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
