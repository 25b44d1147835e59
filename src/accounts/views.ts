// What clients see of an account: never the password hash, never a token's hash.
import type { ApiToken } from '@prisma/client';
import type { Account } from './profile';
import { privacyChoicesView } from '../consent/views';

export function toPublicUser(user: Account) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    avatarUrl: user.avatarUrl,
    roles: user.roles,
    createdAt: user.createdAt,
    consents: { marketing: user.marketingConsent },
    cookiePreferences: { analytics: user.analyticsCookies },
    privacy: privacyChoicesView(user),
  };
}

export function apiTokenView(token: ApiToken) {
  return { id: token.id, name: token.name, createdAt: token.createdAt, lastUsedAt: token.lastUsedAt };
}
