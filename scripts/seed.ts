// Demo data for a development machine: one creator and one tool. Idempotent:
// fixed ids, created only when missing. Run by `npm start`, or alone with
// `npm run seed` (needs DATABASE_URL and DATA_ENCRYPTION_KEYS).
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { hashPassword } from '../src/accounts/credentials';
import { Keyring } from '../src/crypto/keyring';
import { createPrisma } from '../src/db';
import { createToolService } from '../src/tools/service';
import { PROMPT_LIMIT_DEFAULTS } from '../src/config';

export const DEMO_CREATOR_ID = '00000000-0000-4000-8000-00000000c0de';
export const DEMO_TOOL_ID = '00000000-0000-4000-8000-0000000007a1';
export const DEMO_CREATOR_EMAIL = 'demo-creator@sotally.local';

export interface SeedResult {
  created: boolean;
  /** Shown once, when the demo creator is first created. */
  creatorPassword?: string;
}

export async function seedDemo(prisma: PrismaClient, keyring: Keyring): Promise<SeedResult> {
  if (await prisma.tool.findUnique({ where: { id: DEMO_TOOL_ID }, select: { id: true } })) return { created: false };
  let creatorPassword: string | undefined;
  if (!(await prisma.user.findUnique({ where: { id: DEMO_CREATOR_ID }, select: { id: true } }))) {
    creatorPassword = randomBytes(12).toString('base64url');
    await prisma.user.create({
      data: { id: DEMO_CREATOR_ID, name: 'Demo Creator', email: DEMO_CREATOR_EMAIL, passwordHash: await hashPassword(creatorPassword, 17) },
    });
  }
  await createToolService(prisma, keyring, PROMPT_LIMIT_DEFAULTS).create(
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
  return { created: true, creatorPassword };
}

if (require.main === module) {
  const { DATABASE_URL, DATA_ENCRYPTION_KEYS } = process.env;
  if (!DATABASE_URL || !DATA_ENCRYPTION_KEYS) {
    console.error('DATABASE_URL and DATA_ENCRYPTION_KEYS must be set');
    process.exit(2);
  }
  const prisma = createPrisma(DATABASE_URL, 1);
  seedDemo(prisma, Keyring.parse(DATA_ENCRYPTION_KEYS))
    .then((result) => console.log(result.created ? 'Seeded the demo creator and tool.' : 'Demo data already present.'))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => void prisma.$disconnect());
}
