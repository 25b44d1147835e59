// The public tool list's short memory, per API process: the pages anonymous visitors browse,
// answered without a database round trip (docs/BENCHMARKS.md, "API reads"). Signed-in callers are
// never answered from it (their own tools show their prompts).
//
// A change is seen at once everywhere. A statement trigger on `tools` announces every insert, update
// or delete on the `sotally_tools` channel (Postgres NOTIFY, sent at commit), whoever made it (the
// API, an erasure in the worker, an operator's SQL), and every API process forgets every page when
// the announcement arrives. The process that made a change through the API forgets at the end of
// that request, before it answers. A read that began before a change never stores its (possibly
// older) page: every forget moves a generation counter, and a read stores only if it did not move.
// Nothing is remembered while the listening connection is down (src/db-announcements.ts), and
// TOOL_LIST_CACHE_TTL bounds an entry's life even so.
import { LRUCache } from 'lru-cache';
import { listenForAnnouncements } from '../db-announcements';
import type { Logger } from '../logger';

export const TOOLS_CHANNEL = 'sotally_tools';

export interface ToolListCache {
  /** The remembered page for `key`, or `load()`'s (remembered when that is safe). */
  read<T extends object>(key: string, load: () => Promise<T>): Promise<T>;
  /** A change to tools has ended in this process: forget every page now (its announcement follows). */
  forget(): void;
  /** Whether announcements are being received (pages are used only then). */
  readonly listening: boolean;
  readonly size: number;
  close(): Promise<void>;
}

export function createToolListCache(options: { databaseUrl: string; ttlMs: number; maxEntries: number; logger: Logger }): ToolListCache {
  const pages = new LRUCache<string, object>({ max: Math.max(options.maxEntries, 1), ttl: options.ttlMs });
  let generation = 0;
  const forget = () => {
    generation += 1;
    pages.clear();
  };
  const announcements = listenForAnnouncements(
    { databaseUrl: options.databaseUrl, channel: TOOLS_CHANNEL, logger: options.logger, what: 'tool list cache' },
    { onMessage: forget, onListening: forget, onLost: forget },
  );
  return {
    async read<T extends object>(key: string, load: () => Promise<T>): Promise<T> {
      const hit = announcements.listening ? (pages.get(key) as T | undefined) : undefined;
      if (hit) return hit;
      const started = generation;
      const page = await load();
      if (announcements.listening && generation === started) pages.set(key, page);
      return page;
    },
    forget,
    get listening() {
      return announcements.listening;
    },
    get size() {
      return pages.size;
    },
    async close() {
      await announcements.close();
      forget();
    },
  };
}
