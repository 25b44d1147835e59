// Rate limits shared by every API replica: fixed-window counters in Postgres
// (one upsert per request). Keys are hashed, so the table holds no IP addresses.
import type { PrismaClient } from '@prisma/client';
import { rateLimit, ipKeyGenerator, type Options, type Store, type IncrementResponse } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { DomainError } from '../errors';
import { sha256 } from '../accounts/credentials';

export class PostgresRateLimitStore implements Store {
  private windowMs = 60_000;
  readonly localKeys = false;

  constructor(
    private readonly prisma: PrismaClient,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private keyFor(key: string): string {
    return sha256(`${this.prefix}:${key}`);
  }

  async increment(key: string): Promise<IncrementResponse> {
    const rows = await this.prisma.$queryRaw<{ hits: number; reset_at: Date }[]>`
      INSERT INTO rate_limit_hits (key, hits, reset_at)
      VALUES (${this.keyFor(key)}, 1, now() + ${this.windowMs} * interval '1 millisecond')
      ON CONFLICT (key) DO UPDATE SET
        hits     = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
        reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END
      RETURNING hits, reset_at`;
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

function limiter(
  prisma: PrismaClient,
  name: string,
  limit: number,
  windowMs: number,
  keyGenerator: (req: Request) => string,
  skip?: (req: Request) => boolean,
): RequestHandler {
  return rateLimit({
    ...(skip ? { skip } : {}),
    windowMs,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store: new PostgresRateLimitStore(prisma, name),
    keyGenerator,
    handler: (_req, _res, next) => next(new DomainError('rate_limited', 'too many requests, try again later')),
  });
}

/** Limits requests per client IP on one route family; answers 429 rate_limited with Retry-After. */
export function limitPerIp(prisma: PrismaClient, name: string, limit: number, windowMs: number): RequestHandler {
  return limiter(prisma, name, limit, windowMs, (req) => ipKeyGenerator(req.ip ?? 'unknown'));
}

/** Limits requests per signed-in user (falls back to the IP for anonymous callers, whom the route then refuses). */
export function limitPerUser(prisma: PrismaClient, name: string, limit: number, windowMs: number, skip?: (req: Request) => boolean): RequestHandler {
  return limiter(prisma, name, limit, windowMs, (req) => req.principal?.userId ?? `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`, skip);
}
