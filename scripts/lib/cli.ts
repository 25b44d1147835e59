// How every operator command runs (npm run roles | credits | accounts | keys):
// against DATABASE_URL with one connection, closed at the end; a usage error
// prints the usage and exits 2; a refusal prints "code: message" and exits 1.
import type { PrismaClient } from '@prisma/client';
import { createPrisma } from '../../src/db';
import { DomainError, notFound } from '../../src/errors';
import { findUserIdByEmail, parseEmailIndexKey } from '../../src/accounts/email-index';

/** EMAIL_INDEX_KEY from the environment: operator commands find accounts by email through the blind index. */
export function emailIndexKeyFromEnv(): Buffer {
  if (!process.env.EMAIL_INDEX_KEY) throw new Error('EMAIL_INDEX_KEY must be set (the same as the API\'s)');
  return parseEmailIndexKey(process.env.EMAIL_INDEX_KEY);
}

/** The id of the account with this email; a refusal (exit 1) when there is none. */
export async function accountIdByEmail(prisma: PrismaClient, email: string): Promise<string> {
  const id = await findUserIdByEmail(prisma, emailIndexKeyFromEnv(), email);
  if (!id) throw notFound(`account ${email}`);
  return id;
}

/** Thrown for arguments the command does not take; its message is the usage line. */
export class UsageError extends Error {}

/** Runs `command` when the script is the entry point; what it returns is printed. */
export function runCommand(module: NodeJS.Module, command: (prisma: PrismaClient, argv: string[]) => Promise<string | void>): void {
  if (require.main !== module) return;
  const run = async () => {
    const argv = process.argv.slice(2);
    if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set');
    const prisma = createPrisma(process.env.DATABASE_URL, 1);
    try {
      const output = await command(prisma, argv);
      if (output) console.log(output);
    } finally {
      await prisma.$disconnect();
    }
  };
  run().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(err instanceof DomainError ? `${err.code}: ${err.message}` : (err as Error).message);
    process.exit(1);
  });
}
