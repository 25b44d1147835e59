// Rate limits shared by every API replica: fixed-window counters in Postgres
// (one upsert per request). A counter's key is an HMAC-SHA256 of the limiter's
// name and the client (IP address or user id) under RATE_LIMIT_KEY_SECRET, so
// the table holds no IP address, nor a plain hash of one (which trying every
// IPv4 address reverses in seconds). Rows whose window has ended are deleted
// by the security-data cleanup (src/security-data/).
import { createHmac } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { rateLimit, ipKeyGenerator, type Options, type Store, type IncrementResponse } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { DomainError } from '../errors';
import { sqlPool } from '../db';

export class PostgresRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly prisma: PrismaClient,
    readonly prefix: string,
    private readonly keySecret: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private keyFor(key: string): string {
    return createHmac('sha256', this.keySecret).update(`${this.prefix}:${key}`).digest('hex');
  }

  async increment(key: string): Promise<IncrementResponse> {
    // A prepared statement on the pool under Prisma: limited routes run it on every request.
    const { rows } = await sqlPool(this.prisma).query<{ hits: number; reset_at: Date }>({
      name: 'rate-limit.increment',
      text: `INSERT INTO rate_limit_hits (key, hits, reset_at)
             VALUES ($1, 1, now() + $2::int * interval '1 millisecond')
             ON CONFLICT (key) DO UPDATE SET
               hits     = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
               reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END
             RETURNING hits, reset_at`,
      values: [this.keyFor(key), this.windowMs],
    });
    const row = rows[0] as { hits: number; reset_at: Date };
    return { totalHits: Number(row.hits), resetTime: row.reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.prisma.$executeRaw`UPDATE rate_limit_hits SET hits = GREATEST(hits - 1, 0) WHERE key = ${this.keyFor(key)}`;
  }

  async resetKey(key: string): Promise<void> {
    await this.prisma.$executeRaw`DELETE FROM rate_limit_hits WHERE key = ${this.keyFor(key)}`;
  }
}

/** The limiters of one API process; `keySecret` (RATE_LIMIT_KEY_SECRET) is the same in every replica. */
export function rateLimiters(prisma: PrismaClient, keySecret: string) {
  const limiter = (name: string, limit: number, windowMs: number, keyGenerator: (req: Request) => string, skip?: (req: Request) => boolean): RequestHandler =>
    rateLimit({
      ...(skip ? { skip } : {}),
      windowMs,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      store: new PostgresRateLimitStore(prisma, name, keySecret),
      keyGenerator,
      handler: (_req, _res, next) => next(new DomainError('rate_limited', 'too many requests, try again later')),
    });
  return {
    /** Limits requests per client IP on one route family; answers 429 rate_limited with Retry-After. */
    perIp: (name: string, limit: number, windowMs: number): RequestHandler => limiter(name, limit, windowMs, (req) => ipKeyGenerator(req.ip ?? 'unknown')),
    /** Limits requests per signed-in user (falls back to the IP for anonymous callers, whom the route then refuses). */
    perUser: (name: string, limit: number, windowMs: number, skip?: (req: Request) => boolean): RequestHandler =>
      limiter(name, limit, windowMs, (req) => req.principal?.userId ?? `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`, skip),
  };
}
