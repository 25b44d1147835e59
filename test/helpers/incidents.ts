// Helpers for the breach-response tests: many accounts at once (profiles sealed
// under each user's own key, as sign-up does, without sign-up's password hashing),
// staff with a role, and an incident's start input.
import { randomUUID } from 'node:crypto';
import type { PrismaClient, Role } from '@prisma/client';
import { createProfiles } from '../../src/accounts/profile';
import { parseEmailIndexKey } from '../../src/accounts/email-index';
import { DataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';
import type { IncidentStart } from '../../src/incidents/contract';
import { TEST_EMAIL_INDEX_KEY, TEST_KEYS } from './env';

export interface BulkUser {
  id: string;
  email: string;
}

/** `count` accounts named `<tag> <i>` at `<tag>-<i>@incident.example`, in chunks of 500 rows. */
export async function bulkUsers(prisma: PrismaClient, count: number, tag = `u${randomUUID().slice(0, 8)}`, roles: Role[] = ['user']): Promise<BulkUser[]> {
  const dataKeys = new DataKeys(prisma, Keyring.parse(TEST_KEYS));
  const profiles = createProfiles(prisma, dataKeys, parseEmailIndexKey(TEST_EMAIL_INDEX_KEY));
  const users: BulkUser[] = [];
  for (let start = 0; start < count; start += 500) {
    const rows = [];
    const keys = [];
    for (let i = start; i < Math.min(count, start + 500); i += 1) {
      const id = randomUUID();
      const email = `${tag}-${i}@incident.example`.toLowerCase();
      const { key, wrappedKey } = dataKeys.newKey(id);
      rows.push({ id, passwordHash: 'not-a-login', roles, ...profiles.sealWith(key, id, { name: `${tag} ${i}`, email, avatarUrl: null }) });
      keys.push({ userId: id, wrappedKey });
      users.push({ id, email });
    }
    await prisma.user.createMany({ data: rows });
    await prisma.userKey.createMany({ data: keys });
  }
  return users;
}

/** A start input, discovered at `discoveredAt` (default now), for the users listed. */
export function incidentInput(discoveredAt: Date, affected: IncidentStart['affected'], overrides: Partial<IncidentStart> = {}): IncidentStart & { id: string } {
  return {
    id: randomUUID(),
    title: 'Unauthorised access to a support export',
    description: 'A misconfigured storage bucket made an export of account records readable without authentication for six hours.',
    discoveredAt: discoveredAt.toISOString(),
    breachType: 'confidentiality',
    dataCategories: ['names', 'email addresses'],
    personalDataExposed: true,
    affected,
    ...overrides,
  };
}
