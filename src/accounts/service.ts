// Accounts: sign-up, log-in, sessions, personal API tokens, profile.
// The profile (name, email, avatar) is encrypted at rest under the user's own
// data key; accounts are found by email through the blind index (./profile).
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import { newestFirst } from '../pagination';
import { Prisma, type PrismaClient, type User } from '@prisma/client';
import { DomainError, notFound } from '../errors';
import type { DataKeys } from '../crypto/data-keys';
import { API_TOKEN_PREFIX, decoyPasswordHash, deriveKey, hashPassword, newSecretToken, safeEqual, sha256, verifyPassword } from './credentials';
import { recordLoginContext, type LoginClient } from './login-context';
import { createProfiles, type ProfileFields } from './profile';
import { recordSecurityEvent } from './security-events';
import type { MailService } from '../mail/service';
import { normalizeEmail } from './email-index';
import { changeChoices } from '../consent/history';

export interface AccountSettings {
  passwordCostLog2: number;
  /** How long a fresh proof (reauthenticate) lasts. */
  reauthTtlMs: number;
  /** How long a mailed re-authentication code works (default 10 minutes). */
  reauthCodeTtlMs?: number;
  sessionTtlMs: number;
  emailIndexKey: Buffer;
  /**
   * The server secret the keyed hashes of log-in contexts are derived from (RATE_LIMIT_KEY_SECRET:
   * the same in every replica). Changing it makes every known context new again: one alert per account.
   */
  hmacSecret: string;
}

/** Wrong tries a mailed code allows: the last one voids it. */
export const REAUTH_CODE_MAX_ATTEMPTS = 5;

/** How a caller proves the account again: the password, or the code mailed to the account's address. */
export type ReauthProof = { password: string } | { code: string };

export function createAccountService(prisma: PrismaClient, dataKeys: DataKeys, mail: MailService, settings: AccountSettings) {
  const profiles = createProfiles(prisma, dataKeys, settings.emailIndexKey);
  const emailTaken = () => new DomainError('email_taken', 'an account with this email already exists');
  const loginContextKey = deriveKey(settings.hmacSecret, 'login-context');
  const reauthCodeKey = deriveKey(settings.hmacSecret, 'reauth-code');
  // Bound to the code's row: the same 6 digits of two codes hash apart.
  const codeHmac = (codeId: string, code: string) => createHmac('sha256', reauthCodeKey).update(`${codeId}:${code}`).digest('hex');

  async function startSession(userId: string) {
    const token = newSecretToken();
    await prisma.session.create({
      data: { userId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + settings.sessionTtlMs) },
    });
    return token;
  }

  async function getUser(userId: string) {
    const user = await prisma.user.findUnique({ where: { id: userId } });
    if (!user) throw notFound('user');
    return profiles.open(user);
  }

  return {
    /** A new account, signed in; `client` is where it signed up from (its first known log-in context: no alert). */
    async signup(input: { name: string; email: string; password: string; avatarUrl?: string; marketingConsent?: boolean }, client: LoginClient = {}) {
      const passwordHash = await hashPassword(input.password, settings.passwordCostLog2);
      if (await profiles.findByEmail(input.email)) throw emailTaken();
      const profile: ProfileFields = { name: input.name, email: input.email, avatarUrl: input.avatarUrl ?? null };
      let user: User;
      try {
        // A choice made at sign-up is the first entry of the consent history, written with the account.
        const consentEvents = input.marketingConsent === undefined ? undefined : { create: [{ purpose: 'marketing', granted: input.marketingConsent, source: 'signup' }] };
        user = await profiles.createUser(randomUUID(), profile, { passwordHash, marketingConsent: input.marketingConsent ?? false, consentEvents });
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw emailTaken(); // a concurrent sign-up won
        throw err;
      }
      await recordLoginContext(prisma, loginContextKey, user.id, client, { alertIfNew: false });
      return { user: { ...user, ...profile }, sessionToken: await startSession(user.id) };
    },

    /** Signs in; a log-in from a device or network class new to the account records a `new_login` security event (mailed). */
    async login(email: string, password: string, client: LoginClient = {}) {
      const user = await profiles.findByEmail(email);
      // Verify against a decoy when the account is unknown: same work, same timing.
      const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash(settings.passwordCostLog2)));
      // An account being erased signs in no more (the same answer as a wrong password).
      if (!user || !ok || user.erasureStartedAt) throw new DomainError('invalid_credentials', 'email or password is wrong');
      await prisma.$transaction((tx) => recordLoginContext(tx, loginContextKey, user.id, client, { alertIfNew: true }));
      return { user: await profiles.open(user), sessionToken: await startSession(user.id) };
    },

    /**
     * Fresh proof of the account ("sudo mode"): the password again marks this session or token as
     * proven, which exporting the account's data or erasing it needs (see `freshProof` on routes).
     */
    async reauthenticate(caller: { userId: string; sessionId?: string; tokenId?: string }, proof: ReauthProof) {
      const now = new Date();
      const markProven = async (db: Prisma.TransactionClient | PrismaClient) => {
        if (caller.sessionId) await db.session.update({ where: { id: caller.sessionId }, data: { provenAt: now } });
        else if (caller.tokenId) await db.apiToken.update({ where: { id: caller.tokenId }, data: { provenAt: now } });
      };
      if ('code' in proof) {
        const outcome = await prisma.$transaction(async (tx) => {
          const [pending] = await tx.$queryRaw<{ id: string; code_hmac: string; failed_attempts: number }[]>`
            SELECT id::text, code_hmac, failed_attempts FROM reauth_codes WHERE user_id = ${caller.userId}::uuid AND expires_at > now() FOR UPDATE`;
          if (!pending) return { proven: false as const, attemptsLeft: 0, expired: true };
          if (safeEqual(pending.code_hmac, codeHmac(pending.id, proof.code))) {
            await tx.reauthCode.delete({ where: { userId: caller.userId } }); // single use
            await markProven(tx);
            return { proven: true as const };
          }
          const attemptsLeft = REAUTH_CODE_MAX_ATTEMPTS - pending.failed_attempts - 1;
          if (attemptsLeft <= 0) await tx.reauthCode.delete({ where: { userId: caller.userId } }); // void
          else await tx.reauthCode.update({ where: { userId: caller.userId }, data: { failedAttempts: { increment: 1 } } });
          return { proven: false as const, attemptsLeft, expired: false };
        });
        if (!outcome.proven) {
          if (outcome.expired) throw new DomainError('reauth_code_expired');
          throw new DomainError('reauth_code_invalid', 'the code is wrong', { attemptsLeft: outcome.attemptsLeft });
        }
      } else {
        const user = await prisma.user.findUnique({ where: { id: caller.userId }, select: { passwordHash: true } });
        if (!user || !(await verifyPassword(proof.password, user.passwordHash))) throw new DomainError('invalid_credentials', 'the password is wrong');
        await markProven(prisma);
      }
      return { provenUntil: new Date(now.getTime() + settings.reauthTtlMs) };
    },

    /**
     * A new 6-digit code that proves the account again (`reauthenticate({ code })`), queued to
     * the account's address in the transaction that stores its keyed hash; it replaces any earlier
     * code. Returns the outbox row to deliver once committed, and when the code expires.
     */
    async requestReauthCode(userId: string) {
      const account = await getUser(userId);
      const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
      const id = randomUUID();
      const expiresAt = new Date(Date.now() + (settings.reauthCodeTtlMs ?? 600_000));
      const stored = { id, codeHmac: codeHmac(id, code), expiresAt, failedAttempts: 0, createdAt: new Date() };
      const outboxId = await prisma.$transaction(async (tx) => {
        await tx.reauthCode.upsert({ where: { userId }, create: { userId, ...stored }, update: stored });
        return mail.enqueue(
          { userId, purpose: 'reauth_code', dedupeKey: id, recipient: account.email, data: { expiresAt: expiresAt.toISOString() }, secret: code },
          tx,
        );
      });
      return { outboxId, expiresAt };
    },

    /**
     * Changes the password when `currentPassword` is right (else `invalid_credentials`, nothing
     * changed). Together with the new hash: every other session of the account is signed out (the
     * caller's stays), and a `password_changed` security event is recorded for the alert mail.
     * API tokens stay valid: they are credentials the user made for scripts, listed and revoked
     * on their own (the alert says so).
     */
    async changePassword(caller: { userId: string; sessionId?: string }, currentPassword: string, newPassword: string) {
      const user = await prisma.user.findUnique({ where: { id: caller.userId }, select: { passwordHash: true } });
      if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) throw new DomainError('invalid_credentials', 'the current password is wrong');
      const passwordHash = await hashPassword(newPassword, settings.passwordCostLog2);
      await prisma.$transaction(async (tx) => {
        // The hash it was checked against: a concurrent change in between makes this one fail, not overwrite it.
        const { count } = await tx.user.updateMany({ where: { id: caller.userId, passwordHash: user.passwordHash }, data: { passwordHash } });
        if (count === 0) throw new DomainError('invalid_credentials', 'the password changed meanwhile');
        await tx.session.updateMany({
          where: { userId: caller.userId, revokedAt: null, ...(caller.sessionId ? { id: { not: caller.sessionId } } : {}) },
          data: { revokedAt: new Date() },
        });
        await recordSecurityEvent(tx, caller.userId, 'password_changed');
      });
    },

    async logout(sessionId: string) {
      await prisma.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date() } });
    },

    getUser,

    /** Rectification: the whole profile is sealed again (a row from before encryption leaves its clear columns here). */
    async updateProfile(userId: string, changes: Partial<ProfileFields>) {
      if (changes.email) {
        const owner = await profiles.findByEmail(changes.email);
        if (owner && owner.id !== userId) throw emailTaken();
      }
      const current = await getUser(userId);
      const profile: ProfileFields = {
        name: changes.name ?? current.name,
        email: changes.email ?? current.email,
        avatarUrl: changes.avatarUrl === undefined ? current.avatarUrl : changes.avatarUrl,
      };
      const sealed = await profiles.seal(userId, profile);
      const emailChanged = normalizeEmail(profile.email) !== normalizeEmail(current.email);
      try {
        const user = await prisma.$transaction(async (tx) => {
          const updated = await tx.user.update({ where: { id: userId }, data: sealed });
          if (emailChanged) {
            // The alert goes to the old address (the new one may be an attacker's), queued with the change itself.
            const event = await tx.securityEvent.create({ data: { userId, type: 'email_changed', notifiedAt: new Date() } });
            await mail.enqueue(
              { userId, purpose: 'security_alert', dedupeKey: event.id, recipient: current.email, data: { type: 'email_changed', at: event.createdAt.toISOString() } },
              tx,
            );
          }
          return updated;
        });
        return { ...user, ...profile };
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw emailTaken();
        throw err;
      }
    },

    /** Give or withdraw marketing consent; a change is recorded in the consent history with it. */
    async setMarketingConsent(userId: string, marketing: boolean) {
      return profiles.open(await prisma.$transaction((tx) => changeChoices(tx, userId, { marketing }, 'settings')));
    },

    /** The analytics cookie preference (the front end sets those cookies; the server never does); recorded like a consent. */
    async setAnalyticsCookies(userId: string, analytics: boolean) {
      return profiles.open(await prisma.$transaction((tx) => changeChoices(tx, userId, { analytics_cookies: analytics }, 'settings')));
    },

    async createApiToken(userId: string, name: string) {
      const token = newSecretToken(API_TOKEN_PREFIX);
      const row = await prisma.$transaction(async (tx) => {
        const created = await tx.apiToken.create({ data: { userId, name, tokenHash: sha256(token) } });
        await recordSecurityEvent(tx, userId, 'api_token_created');
        return created;
      });
      return { id: row.id, name: row.name, createdAt: row.createdAt, token };
    },

    listApiTokens(userId: string, where: object, limit: number) {
      return prisma.apiToken.findMany({
        where: { userId, revokedAt: null, ...where },
        orderBy: newestFirst,
        take: limit + 1,
      });
    },

    async revokeApiToken(userId: string, tokenId: string) {
      const { count } = await prisma.apiToken.updateMany({
        where: { id: tokenId, userId, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      if (count === 0) throw notFound('token');
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
