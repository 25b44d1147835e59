// Postgres LISTEN on one channel, for the caches that must forget what changed in another process
// (src/api/credential-cache.ts, src/tools/list-cache.ts). Triggers send NOTIFY at commit; this keeps
// one connection listening and reconnects by itself when it drops. A cache may use what it remembers
// only while `listening` is true: `onListening` and `onLost` tell it when that changes, and a cache
// forgets everything at both moments, so an announcement missed while the connection was down can
// never keep a stale answer alive.
import pg from 'pg';
import type { Logger } from './logger';

const RECONNECT_MS = 1_000;

export interface Announcements {
  /** Whether announcements are being received now. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface AnnouncementHandlers {
  /** An announcement arrived, with its payload (empty string when it had none). */
  onMessage(payload: string): void;
  /** Listening (again): anything read before this moment may predate a change not heard of. */
  onListening(): void;
  /** Announcements stopped; they are being re-established. */
  onLost(): void;
}

export function listenForAnnouncements(options: { databaseUrl: string; channel: string; logger: Logger; what: string }, handlers: AnnouncementHandlers): Announcements {
  const { channel, logger, what } = options;
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`listenForAnnouncements: bad channel name ${channel}`);
  let listening = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  /** Stops listening: tells the cache, and closes the listening connection (its late errors ignored). */
  const detach = async () => {
    listening = false;
    handlers.onLost();
    const old = client;
    client = undefined;
    old?.removeAllListeners();
    old?.on('error', () => undefined);
    await old?.end().catch(() => undefined);
  };

  const lost = (err?: Error) => {
    if (listening) logger.warn({ err: err && { message: err.message } }, `${what}: announcements lost; reading from Postgres until they are back`);
    void detach();
    if (!closed && !retry) {
      retry = setTimeout(() => {
        retry = undefined;
        void listen();
      }, RECONNECT_MS);
      retry.unref();
    }
  };

  async function listen() {
    if (closed) return;
    // Keep-alive probes find a connection that died silently (no FIN): it ends, and listening restarts.
    const next = new pg.Client({ connectionString: options.databaseUrl, keepAlive: true });
    client = next;
    next.on('notification', (message) => handlers.onMessage(message.payload ?? ''));
    next.on('error', (err) => lost(err));
    next.on('end', () => {
      if (client === next) lost();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (client !== next || closed) return;
      handlers.onListening();
      listening = true;
    } catch (err) {
      if (client === next) lost(err as Error);
    }
  }
  void listen();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await detach();
    },
  };
}
