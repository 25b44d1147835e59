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

/** The bytes all remembered pages may take per process, whatever their number (a page's size: its JSON's length). */
const MAX_BYTES = 32 * 1024 * 1024;

/** A remembered page is handed to every visitor: frozen, so no caller can change what the next one sees. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export function createToolListCache(options: { databaseUrl: string; ttlMs: number; maxEntries: number; logger: Logger }): ToolListCache {
  const pages = new LRUCache<string, object>({
    max: Math.max(options.maxEntries, 1),
    ttl: options.ttlMs,
    maxSize: MAX_BYTES,
    sizeCalculation: (page) => Math.max(JSON.stringify(page).length, 1),
  });
  let generation = 0;
  const forget = () => {
    generation += 1;
    pages.clear();
  };
  // 0 pages: remember nothing, and listen for nothing.
  const announcements =
    options.maxEntries === 0
      ? undefined
      : listenForAnnouncements(
          { databaseUrl: options.databaseUrl, channel: TOOLS_CHANNEL, logger: options.logger, what: 'tool list cache' },
          { onMessage: forget, onListening: forget, onLost: forget },
        );
  const listening = () => announcements?.listening ?? false;
  return {
    async read<T extends object>(key: string, load: () => Promise<T>): Promise<T> {
      const hit = listening() ? (pages.get(key) as T | undefined) : undefined;
      if (hit) return hit;
      const started = generation;
      const page = await load();
      if (listening() && generation === started) pages.set(key, deepFreeze(page));
      return page;
    },
    forget,
    get listening() {
      return listening();
    },
    get size() {
      return pages.size;
    },
    async close() {
      await announcements?.close();
      forget();
    },
  };
}
