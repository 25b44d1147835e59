// Authentication's short memory: which user (and roles) a token or session hash belongs to, so
// most requests answer without a database round trip (docs/BENCHMARKS.md, "API reads").
//
// Revocation stays immediate across API processes. Triggers on `api_tokens`, `sessions` and
// `users.roles` announce the user of every changed row on the `sotally_credentials` channel
// (Postgres NOTIFY, sent at commit), and every API process LISTENs and forgets that user's
// entries when the announcement arrives, within milliseconds. Nothing is remembered while the
// listening connection is down (it reconnects by itself), and whatever was remembered is
// dropped when it goes, so a missed announcement cannot keep a revoked credential alive.
// AUTH_CACHE_TTL bounds an entry's life even so.
//
// Inside this process a write by a user (any unsafe request: logging out, revoking a token,
// re-authenticating, changing the password) forgets that user when it ends, and nothing of
// theirs is remembered while it runs, so the user's next request reads what the write
// committed. A read that started before an announcement never stores its (possibly older)
// answer: every forget moves a generation counter, and a read stores only if it did not move.
// Unknown hashes are never remembered, so guessing tokens cannot fill the memory.
import { listenForAnnouncements } from '../db-announcements';
import type { Logger } from '../logger';

export const CREDENTIALS_CHANNEL = 'sotally_credentials';

export interface CredentialCache {
  /** The remembered answer for `key`, or `load()`'s (remembered when that is safe). */
  read<T extends { user_id: string }>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined>;
  /** A write by `userId` has begun in this process; call the returned function when it has ended. */
  beginWrite(userId: string): () => void;
  /** Whether announcements are being received (entries are used only then). */
  readonly listening: boolean;
  readonly size: number;
  close(): Promise<void>;
}

interface Entry {
  value: { user_id: string };
  userId: string;
  expiresAt: number;
}

export function createCredentialCache(options: { databaseUrl: string; ttlMs: number; maxEntries: number; logger: Logger }): CredentialCache {
  const { ttlMs, maxEntries, logger } = options;
  const entries = new Map<string, Entry>();
  const keysOfUser = new Map<string, Set<string>>();
  const writing = new Map<string, number>();
  let generation = 0;
  const announcements =
    maxEntries === 0
      ? undefined
      : listenForAnnouncements(
          { databaseUrl: options.databaseUrl, channel: CREDENTIALS_CHANNEL, logger, what: 'credential cache' },
          { onMessage: (userId) => userId && forgetUser(userId), onListening: () => forgetAll(), onLost: () => forgetAll() },
        );
  const listening = () => announcements?.listening ?? false;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const keys = keysOfUser.get(entry.userId);
    keys?.delete(key);
    if (keys?.size === 0) keysOfUser.delete(entry.userId);
  };
  function forgetUser(userId: string) {
    generation += 1;
    for (const key of keysOfUser.get(userId) ?? []) entries.delete(key);
    keysOfUser.delete(userId);
  }
  function forgetAll() {
    generation += 1;
    entries.clear();
    keysOfUser.clear();
  }

  return {
    async read(key, load) {
      const now = Date.now();
      const hit = listening() ? entries.get(key) : undefined;
      if (hit && hit.expiresAt > now) return hit.value as never;
      if (hit) remove(key);
      const started = generation;
      const value = await load();
      if (value && listening() && maxEntries > 0 && generation === started && !writing.has(value.user_id)) {
        if (entries.size >= maxEntries) remove(entries.keys().next().value as string);
        entries.set(key, { value, userId: value.user_id, expiresAt: now + ttlMs });
        let keys = keysOfUser.get(value.user_id);
        if (!keys) keysOfUser.set(value.user_id, (keys = new Set()));
        keys.add(key);
      }
      return value;
    },
    beginWrite(userId) {
      writing.set(userId, (writing.get(userId) ?? 0) + 1);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        const left = (writing.get(userId) ?? 1) - 1;
        if (left > 0) writing.set(userId, left);
        else writing.delete(userId);
        forgetUser(userId);
      };
    },
    get listening() {
      return listening();
    },
    get size() {
      return entries.size;
    },
    async close() {
      await announcements?.close();
      forgetAll();
    },
  };
}
