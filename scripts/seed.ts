// Demo data for a development machine: a demo creator with a demo tool, and a
// demo user holding credits granted by an audited operator adjustment (so the
// ledger explains every credit). Idempotent: fixed ids and keys, each piece
// created only when missing. Run by `npm start`, or alone with `npm run seed`
// (needs DATABASE_URL, DATA_ENCRYPTION_KEYS and EMAIL_INDEX_KEY).
// Passwords are random, shown once when an account is created, and (under
// npm start) written to .data/demo-accounts.txt for the README's quickstart.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { hashPassword } from '../src/accounts/credentials';
import { Keyring } from '../src/crypto/keyring';
import { DataKeys } from '../src/crypto/data-keys';
import { createProfiles, type Profiles } from '../src/accounts/profile';
import { parseEmailIndexKey } from '../src/accounts/email-index';
import { createPrisma } from '../src/db';
import { createToolService } from '../src/tools/service';
import { PROMPT_LIMIT_DEFAULTS } from '../src/config';
import { createLedger } from '../src/credits/ledger';
import { createAdjustmentService } from '../src/credits/adjustments';

export const DEMO_CREATOR_ID = '00000000-0000-4000-8000-00000000c0de';
export const DEMO_USER_ID = '00000000-0000-4000-8000-0000000005e1';
export const DEMO_TOOL_ID = '00000000-0000-4000-8000-0000000007a1';
export const DEMO_CREATOR_EMAIL = 'demo-creator@sotally.local';
export const DEMO_USER_EMAIL = 'demo-user@sotally.local';
export const DEMO_USER_CREDITS = 1000;

export interface SeedResult {
  created: boolean;
  /** Accounts created by this call, with their passwords (shown once). */
  accounts: { email: string; password: string }[];
}

async function ensureAccount(profiles: Profiles, prisma: PrismaClient, id: string, name: string, email: string): Promise<{ email: string; password: string } | undefined> {
  if (await prisma.user.findUnique({ where: { id }, select: { id: true } })) return undefined;
  const password = randomBytes(12).toString('base64url');
  await profiles.createUser(id, { name, email, avatarUrl: null }, { passwordHash: await hashPassword(password, 17) });
  return { email, password };
}

export async function seedDemo(prisma: PrismaClient, keyring: Keyring, emailIndexKey: Buffer): Promise<SeedResult> {
  const dataKeys = new DataKeys(prisma, keyring);
  const profiles = createProfiles(prisma, dataKeys, emailIndexKey);
  const accounts = [
    await ensureAccount(profiles, prisma, DEMO_CREATOR_ID, 'Demo Creator', DEMO_CREATOR_EMAIL),
    await ensureAccount(profiles, prisma, DEMO_USER_ID, 'Demo User', DEMO_USER_EMAIL),
  ].filter((a): a is { email: string; password: string } => a !== undefined);

  let created = accounts.length > 0;
  if (!(await prisma.tool.findUnique({ where: { id: DEMO_TOOL_ID }, select: { id: true } }))) {
    created = true;
    await createToolService(prisma, dataKeys, PROMPT_LIMIT_DEFAULTS).create(
      DEMO_CREATOR_ID,
      {
        name: 'Haiku writer',
        description: 'Writes a haiku about any topic.',
        prompt: 'You are a poet. Write one haiku (5-7-5 syllables) about {{topic}}. Answer with the haiku only.',
        inputSchema: {
          type: 'object',
          properties: { topic: { type: 'string', minLength: 1, maxLength: 200, description: 'What the haiku is about' } },
          required: ['topic'],
          additionalProperties: false,
        },
        model: 'gpt-4o-mini',
        priceCredits: 5, // the worst-case model cost of a run (src/tools/pricing.ts): 200 characters in, 1,024 tokens out
      },
      DEMO_TOOL_ID,
    );
  }

  // Credits the way an operator grants them: audited, in the ledger, once (fixed request key).
  const adjustments = createAdjustmentService(prisma, createLedger(prisma, { reservationTtlMs: 15 * 60_000 }));
  const grant = await adjustments.adjust(DEMO_USER_ID, {
    credits: DEMO_USER_CREDITS,
    reason: 'demo account (npm start seed)',
    operator: 'seed',
    requestKey: 'seed:demo-user-credits',
  });
  created ||= grant.created;
  return { created, accounts };
}

if (require.main === module) {
  const { DATABASE_URL, DATA_ENCRYPTION_KEYS, EMAIL_INDEX_KEY } = process.env;
  if (!DATABASE_URL || !DATA_ENCRYPTION_KEYS || !EMAIL_INDEX_KEY) {
    console.error('DATABASE_URL, DATA_ENCRYPTION_KEYS and EMAIL_INDEX_KEY must be set');
    process.exit(2);
  }
  const prisma = createPrisma(DATABASE_URL, 1);
  seedDemo(prisma, Keyring.parse(DATA_ENCRYPTION_KEYS), parseEmailIndexKey(EMAIL_INDEX_KEY))
    .then((result) => {
      for (const account of result.accounts) console.log(`Created ${account.email} (password: ${account.password})`);
      console.log(result.created ? 'Seeded the demo accounts, tool and credits.' : 'Demo data already present.');
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => void prisma.$disconnect());
}
