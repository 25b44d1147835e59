// BYOM provider keys. The key is encrypted (AES-256-GCM, AAD bound to the
// row) before it touches the database, shown only masked, decrypted only by
// the model-call activity (src/executions/activities.ts), and deleted for good.
import { newestFirst } from '../pagination';
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { notFound } from '../errors';
import { recordSecurityEvent } from '../accounts/security-events';


/** "sk-…abcd": enough to recognise a key, useless to anyone else. */
export function maskKey(apiKey: string): string {
  return `${apiKey.slice(0, 3)}…${apiKey.slice(-4)}`;
}

export function createProviderKeyService(prisma: PrismaClient, dataKeys: DataKeys) {
  return {
    async add(userId: string, input: { provider: 'openai'; apiKey: string; label?: string }) {
      const id = randomUUID();
      const keyCiphertext = await dataKeys.seal(ENCRYPTED_COLUMNS.providerKey, id, userId, input.apiKey);
      return prisma.$transaction(async (tx) => {
        const row = await tx.providerKey.create({
          data: {
            id,
            userId,
            provider: input.provider,
            label: input.label ?? null,
            masked: maskKey(input.apiKey),
            keyCiphertext,
          },
        });
        await recordSecurityEvent(tx, userId, 'provider_key_added');
        return row;
      });
    },

    list(userId: string, after: object, limit: number) {
      return prisma.providerKey.findMany({
        where: { userId, ...after },
        orderBy: newestFirst,
        take: limit + 1,
      });
    },

    async remove(userId: string, id: string) {
      await prisma.$transaction(async (tx) => {
        // Locks in the order a run's admission takes them (the user's row, then the key's): a run
        // starting with this key while it is deleted waits for it instead of deadlocking with it.
        await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        const { count } = await tx.providerKey.deleteMany({ where: { id, userId } });
        if (count === 0) throw notFound('provider key');
        await recordSecurityEvent(tx, userId, 'provider_key_deleted');
      });
    },
  };
}

export type ProviderKeyService = ReturnType<typeof createProviderKeyService>;
