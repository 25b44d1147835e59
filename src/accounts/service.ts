// Accounts: sign-up, log-in, sessions, personal API tokens, profile.
import { newestFirst } from '../pagination';
import type { PrismaClient } from '@prisma/client';
import { DomainError, notFound } from '../errors';
import { API_TOKEN_PREFIX, decoyPasswordHash, hashPassword, newSecretToken, sha256, verifyPassword } from './credentials';

export interface AccountSettings {
  passwordCostLog2: number;
  sessionTtlMs: number;
}

export function createAccountService(prisma: PrismaClient, settings: AccountSettings) {
  async function startSession(userId: string) {
    const token = newSecretToken();
    await prisma.session.create({
      data: { userId, tokenHash: sha256(token), expiresAt: new Date(Date.now() + settings.sessionTtlMs) },
    });
    return token;
  }

  return {
    async signup(input: { name: string; email: string; password: string; avatarUrl?: string; marketingConsent?: boolean }) {
      const passwordHash = await hashPassword(input.password, settings.passwordCostLog2);
      const existing = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } });
      if (existing) throw new DomainError('email_taken', 'an account with this email already exists');
      const user = await prisma.user.create({
        data: {
          name: input.name,
          email: input.email,
          passwordHash,
          avatarUrl: input.avatarUrl ?? null,
          marketingConsent: input.marketingConsent ?? false,
        },
      });
      return { user, sessionToken: await startSession(user.id) };
    },

    async login(email: string, password: string) {
      const user = await prisma.user.findUnique({ where: { email } });
      // Verify against a decoy when the account is unknown: same work, same timing.
      const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash(settings.passwordCostLog2)));
      if (!user || !ok) throw new DomainError('invalid_credentials', 'email or password is wrong');
      return { user, sessionToken: await startSession(user.id) };
    },

    async logout(sessionId: string) {
      await prisma.session.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date() } });
    },

    async getUser(userId: string) {
      const user = await prisma.user.findUnique({ where: { id: userId } });
      if (!user) throw notFound('user');
      return user;
    },

    async updateProfile(userId: string, changes: { name?: string; email?: string; avatarUrl?: string | null }) {
      if (changes.email) {
        const owner = await prisma.user.findUnique({ where: { email: changes.email }, select: { id: true } });
        if (owner && owner.id !== userId) throw new DomainError('email_taken', 'an account with this email already exists');
      }
      return prisma.user.update({ where: { id: userId }, data: changes });
    },

    setMarketingConsent(userId: string, marketing: boolean) {
      return prisma.user.update({ where: { id: userId }, data: { marketingConsent: marketing } });
    },

    setAnalyticsCookies(userId: string, analytics: boolean) {
      return prisma.user.update({ where: { id: userId }, data: { analyticsCookies: analytics } });
    },

    async createApiToken(userId: string, name: string) {
      const token = newSecretToken(API_TOKEN_PREFIX);
      const row = await prisma.apiToken.create({ data: { userId, name, tokenHash: sha256(token) } });
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
