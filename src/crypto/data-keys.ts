// Per-user data keys: crypto-shredding. Every user's personal data (profile,
// run inputs and outputs, BYOM keys, their tools' prompts) is sealed under a
// data key of their own, stored in user_keys wrapped by the keyring's current
// key. Erasure destroys the wrapped key first: every copy of the data, in old
// row versions, the WAL, replicas and backups, is then ciphertext that no key
// the system holds opens. Key rotation re-wraps data keys without touching data.
//
// Unwrapped keys are cached briefly in the process (bounded LRU with a TTL), so
// a run pays no extra database round trip per field. A destroyed key is
// dropped from this process's cache at once; other processes forget it within
// DATA_KEY_CACHE_TTL.
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Prisma, PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from './columns';
import { DATA_KEY_BYTES, decryptWithKey, encryptWithKey, Keyring } from './keyring';

const WRAP = ENCRYPTED_COLUMNS.userDataKey;

/** The user's data key was destroyed (erasure): their data can no longer be read or written. */
export class DataKeyDestroyedError extends Error {
  constructor(userId: string) {
    super(`the data key of user ${userId} was destroyed (erased account)`);
    this.name = 'DataKeyDestroyedError';
  }
}

export interface DataKeyCacheOptions {
  /** Most unwrapped keys held at once. */
  max: number;
  /** How long an unwrapped key stays cached, in ms. */
  ttlMs: number;
}

export class DataKeys {
  private readonly cache: LRUCache<string, Buffer>;
  /** Database reads of user_keys (cache misses), for measurements. */
  lookups = 0;

  constructor(
    private readonly prisma: PrismaClient,
    readonly keyring: Keyring,
    cache: DataKeyCacheOptions = { max: 10_000, ttlMs: 60_000 },
  ) {
    this.cache = new LRUCache({ max: cache.max, ttl: cache.ttlMs });
  }

  /** A fresh key for a user being created: write `wrappedKey` in the transaction that creates the user. */
  newKey(userId: string): { key: Buffer; wrappedKey: Uint8Array<ArrayBuffer> } {
    const key = randomBytes(DATA_KEY_BYTES);
    return { key, wrappedKey: this.keyring.seal(WRAP, userId, key.toString('base64')) };
  }

  /** Drops a user's key from this process's cache (the next use reads it again). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** Remembers a key the caller just created (after its transaction committed). */
  remember(userId: string, key: Buffer): void {
    this.cache.set(userId, key);
  }

  /** The user's data key; created on first use for users from before per-user keys. */
  async keyFor(userId: string, { create = true } = {}): Promise<Buffer> {
    const cached = this.cache.get(userId);
    if (cached) return cached;
    this.lookups += 1;
    let row = await this.prisma.userKey.findUnique({ where: { userId } });
    if (!row && create) {
      // Committed on its own (never in a caller's transaction that might roll back after other writers
      // read it); a concurrent creator loses the race and reads the winner's key.
      await this.prisma.userKey.createMany({ data: [{ userId, wrappedKey: this.newKey(userId).wrappedKey }], skipDuplicates: true });
      row = await this.prisma.userKey.findUnique({ where: { userId } });
    }
    if (!row?.wrappedKey) throw new DataKeyDestroyedError(userId);
    const key = Buffer.from(this.keyring.open(WRAP, userId, row.wrappedKey), 'base64');
    this.cache.set(userId, key);
    return key;
  }

  /** Many users' data keys at once (the backfill): two queries per batch, keys created where missing. */
  async keysFor(userIds: string[]): Promise<Map<string, Buffer>> {
    const ids = [...new Set(userIds)];
    const read = () => this.prisma.userKey.findMany({ where: { userId: { in: ids } } });
    let rows = await read();
    if (rows.length < ids.length) {
      const have = new Set(rows.map((r) => r.userId));
      const missing = ids.filter((id) => !have.has(id));
      await this.prisma.userKey.createMany({ data: missing.map((userId) => ({ userId, wrappedKey: this.newKey(userId).wrappedKey })), skipDuplicates: true });
      rows = await read();
    }
    const keys = new Map<string, Buffer>();
    for (const row of rows) {
      if (!row.wrappedKey) continue; // destroyed: nothing of this user is sealed again
      keys.set(row.userId, Buffer.from(this.keyring.open(WRAP, row.userId, row.wrappedKey), 'base64'));
    }
    return keys;
  }

  /** Encrypts a value of an owner-keyed column (./columns) for row `rowId`, owned by `ownerId`. */
  async seal(column: EncryptedColumn, rowId: string, ownerId: string, plaintext: string): Promise<Uint8Array<ArrayBuffer>> {
    return encryptWithKey(await this.keyFor(ownerId), plaintext, column.aad(rowId));
  }

  /** Same, with a key the caller already holds (a user being created). */
  sealWith(key: Buffer, column: EncryptedColumn, rowId: string, plaintext: string | Uint8Array): Uint8Array<ArrayBuffer> {
    return encryptWithKey(key, plaintext, column.aad(rowId));
  }

  /**
   * Decrypts a value of an owner-keyed column. Values written before per-user
   * keys are under the keyring directly; they still open, and the backfill
   * (`npm run keys -- backfill`) moves them under their owner's key.
   */
  async open(column: EncryptedColumn, rowId: string, ownerId: string, blob: Uint8Array): Promise<string> {
    if (Keyring.isKeyringBlob(blob)) return this.keyring.open(column, rowId, blob);
    return decryptWithKey(await this.keyFor(ownerId, { create: false }), blob, column.aad(rowId)).toString('utf8');
  }

  /**
   * Destroys the user's data key: from now on nothing the system holds opens
   * their ciphertexts, wherever a copy lies. Idempotent. The row stays, marked,
   * so that no later write creates a new key for the erased user.
   */
  async destroy(userId: string, tx: Prisma.TransactionClient | PrismaClient = this.prisma): Promise<void> {
    await tx.userKey.upsert({
      where: { userId },
      create: { userId, wrappedKey: null, destroyedAt: new Date() },
      update: { wrappedKey: null, destroyedAt: new Date() },
    });
    this.forget(userId);
  }
}

/** The process's data keys, with the cache sized by DATA_KEY_CACHE_MAX / DATA_KEY_CACHE_TTL. */
export function createDataKeys(prisma: PrismaClient, keyring: Keyring, config: { DATA_KEY_CACHE_MAX: number; DATA_KEY_CACHE_TTL: number }): DataKeys {
  return new DataKeys(prisma, keyring, { max: config.DATA_KEY_CACHE_MAX, ttlMs: config.DATA_KEY_CACHE_TTL });
}
