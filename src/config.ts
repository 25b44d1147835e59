// Configuration: parsed once from the environment by one zod schema, frozen,
// and passed to whatever needs it. A missing or malformed variable stops the
// process with a message naming every bad variable. No secret has a default.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from './duration';
import { Keyring } from './crypto/keyring';

const durationSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      return z.NEVER;
    }
  });

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional());

const creditPackage = z
  .object({
    id: z.string().regex(/^[a-z0-9_-]{1,40}$/),
    credits: z.number().int().positive(),
    priceCents: z.number().int().positive(),
    currency: z.string().regex(/^[a-z]{3}$/),
  })
  .strict();

const DEFAULT_CREDIT_PACKAGES = JSON.stringify([
  { id: 'starter', credits: 100, priceCents: 500, currency: 'usd' },
  { id: 'plus', credits: 500, priceCents: 2000, currency: 'usd' },
  { id: 'pro', credits: 2000, priceCents: 7000, currency: 'usd' },
]);

const jsonOf = <T extends z.ZodTypeAny>(schema: T) =>
  z.string().transform((text, ctx): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path });
      return z.NEVER;
    }
    return parsed.data;
  });

/** Defaults of the prompt bounds (also used by the seed, which runs without a full configuration). */
export const PROMPT_LIMIT_DEFAULTS = { MAX_PROMPT_CHARS: 50_000, MODEL_MAX_OUTPUT_TOKENS: 1024 } as const;

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string({ required_error: 'DATABASE_URL is required (the start command provides an embedded Postgres when it is unset)' })
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('sotally'),
  TEMPORAL_UI_ORIGIN: z.preprocess((v) => (v === '' ? undefined : v), z.string().url().optional()),
  /**
   * TLS to Temporal (src/temporal/connection.ts). On when any TEMPORAL_TLS_* below is set; `true`
   * alone means TLS trusting the system's CAs. A CA file alone: server-authenticated TLS; a client
   * certificate and key: mutual TLS (Temporal Cloud: its CAs are public, so no CA file is needed).
   */
  TEMPORAL_TLS: booleanFlag.optional(),
  TEMPORAL_TLS_CA_FILE: z.string().optional(),
  TEMPORAL_TLS_CERT_FILE: z.string().optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().optional(),
  /** The name the server's certificate must carry, when it is not the host of TEMPORAL_ADDRESS (also sent as SNI). */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),

  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: optionalUrl,
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_URL: optionalUrl,

  DATA_ENCRYPTION_KEYS: z
    .string({
      required_error: 'DATA_ENCRYPTION_KEYS is required, e.g. "v1:<base64 of 32 random bytes>" (npm start generates development keys)',
    })
    .superRefine((spec, ctx) => {
      try {
        Keyring.parse(spec);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      }
    }),

  /**
   * The key of the email blind index (HMAC-SHA256 of the normalized address), used to find an
   * account by email without storing the address in clear. Base64 of 32 random bytes. Changing it
   * orphans every index value: it is not rotated like DATA_ENCRYPTION_KEYS.
   */
  EMAIL_INDEX_KEY: z
    .string({ required_error: 'EMAIL_INDEX_KEY is required: base64 of 32 random bytes (npm start generates a development one)' })
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be base64 of exactly 32 bytes'),
  /** Unwrapped per-user data keys cached per process: how many, and for how long (see src/crypto/data-keys.ts). */
  DATA_KEY_CACHE_MAX: z.coerce.number().int().min(1).default(10_000),
  DATA_KEY_CACHE_TTL: durationSchema.default('60s'),
  /**
   * Key of the HMAC-SHA256 that turns a rate limit's client (IP address or user id) into the
   * stored counter key: an unkeyed hash of an IPv4 address is reversed by trying all 2^32.
   * Every API replica must have the same one, or each counts apart.
   */
  RATE_LIMIT_KEY_SECRET: z
    .string({
      required_error:
        'RATE_LIMIT_KEY_SECRET is required, e.g. "$(openssl rand -base64 32)", the same for every API replica (npm start generates a development one)',
    })
    .min(32, 'must be at least 32 characters, e.g. the base64 of 32 random bytes (openssl rand -base64 32)'),

  /** Outgoing mail: an SMTP URL (smtp://user:pass@host:587, smtps://… for implicit TLS). Unset: mail waits in the outbox. */
  SMTP_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional()),
  MAIL_FROM: z.string().min(3).default('Sotally <no-reply@sotally.local>'),
  /** The API's public address, as links in mail show it (the unsubscribe link: PUBLIC_BASE_URL/v1/unsubscribe?token=...). */
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  /** How long a marketing mail's one-click unsubscribe link works. */
  UNSUBSCRIBE_LINK_TTL: durationSchema.default('90d'),
  /** How often queued security alerts are sent (a Temporal Schedule). */
  SECURITY_ALERT_INTERVAL: durationSchema.default('1m'),

  EXECUTION_RETENTION: durationSchema.default('90d'),
  /** How often the retention safety-net sweep runs (a Temporal Schedule). */
  RETENTION_SWEEP_INTERVAL: durationSchema.default('1d'),

  SESSION_TTL: durationSchema.default('30d'),
  /** How long a fresh proof of the account (POST /v1/auth/reauth) lets a session or token export or erase. */
  REAUTH_TTL: durationSchema.default('10m'),
  /**
   * Authentication remembers a token's or session's user and roles this long, so most requests skip the
   * database (src/api/credential-cache.ts). Revocation does not wait for it: every change to a token, a
   * session or a user's roles is announced by Postgres (NOTIFY) and forgotten at once by every API process.
   */
  AUTH_CACHE_TTL: durationSchema.default('10s'),
  /** Credentials remembered per API process at most; 0 turns the cache off (every request reads Postgres). */
  AUTH_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /**
   * Anonymous visitors' pages of the public tool list are remembered this long per API process
   * (src/tools/list-cache.ts). A change does not wait for it: every change to tools is announced by
   * Postgres (NOTIFY) and forgotten at once by every API process.
   */
  TOOL_LIST_CACHE_TTL: durationSchema.default('60s'),
  /** Pages of the public tool list remembered per API process at most; 0 turns the memory off. */
  TOOL_LIST_CACHE_SIZE: z.coerce.number().int().min(0).max(100_000).default(1_000),
  /** How long a mailed re-authentication code (POST /v1/auth/reauth/code) can be used. */
  REAUTH_CODE_TTL: durationSchema.default('10m'),
  /** Re-authentication codes mailed per user per AUTH_RATE_LIMIT_WINDOW. */
  REAUTH_CODE_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(5),

  /** Privacy requests are due this long after they are made (Art. 12(3): one month). */
  PRIVACY_REQUEST_DEADLINE: durationSchema.default('30d'),
  /** Erasure: the time the user has to cancel, and the deadline by which the account must be gone. */
  ERASURE_GRACE: durationSchema.default('7d'),
  ERASURE_DEADLINE: durationSchema.default('30d'),
  /** A step of an erasure still failing this long after the request alerts the DPO and marks it at risk. */
  ERASURE_WARNING: durationSchema.default('25d'),
  /** Usage analytics (src/analytics): how often closed hours are rolled up into anonymous aggregates. */
  ANALYTICS_ROLLUP_INTERVAL: durationSchema.default('1h'),
  /** A bucket with fewer distinct users than this is shown to creators and operators as suppressed, without numbers. */
  ANALYTICS_MIN_GROUP: z.coerce.number().int().min(2).max(1000).default(5),
  /** An hour is rolled up this long after it ends, so the runs it started have finished. */
  ANALYTICS_SETTLE: durationSchema.default('15m'),
  /** Breach response (src/incidents): affected users are notified, and the authority informed, by discovery + this. */
  BREACH_NOTIFY_DEADLINE: durationSchema.default('72h'),
  /** When, after discovery, the responders and the DPO are mailed about whatever is not done yet (comma-separated durations). */
  BREACH_ESCALATIONS: z
    .string()
    .default('24h,48h,66h')
    .transform((v, ctx) => {
      const points = v.split(',').map((p) => p.trim()).filter(Boolean);
      const parsed = points.map((p) => durationSchema.safeParse(p));
      if (parsed.some((r) => !r.success)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a comma-separated list of durations, e.g. 24h,48h,66h' });
        return z.NEVER;
      }
      return points.map((label, i) => ({ label, afterMs: (parsed[i] as { data: number }).data }));
    }),
  /** An incident's workflow continues as new after this many history events (or when Temporal suggests it, at 4,096 by default). */
  BREACH_CONTINUE_AS_NEW_EVENTS: z.coerce.number().int().min(100).max(40_000).default(5_000),
  /** The contact of the data protection team that breach notices and authority reports give. */
  DPO_CONTACT: z.string().min(3).default('privacy@sotally.local'),
  /** How long an export can be downloaded once made; then the file is deleted (src/data-export). */
  EXPORT_LINK_TTL: durationSchema.default('7d'),
  /**
   * Security data (SPEC's retention table), deleted by the security-data cleanup schedule: a
   * session at its expiry (and a revoked one at once), a revoked API token this long after its
   * revocation, a security event this long after it happened, a rate-limit counter when its
   * window ends.
   */
  REVOKED_API_TOKEN_RETENTION: durationSchema.default('30d'),
  SECURITY_EVENT_RETENTION: durationSchema.default('365d'),
  /** A log-in context (keyed hash of the device and network class, src/accounts/login-context.ts) this long after it was last seen. */
  LOGIN_CONTEXT_RETENTION: durationSchema.default('365d'),
  /** How often the security-data cleanup runs (a Temporal Schedule). */
  SECURITY_DATA_CLEANUP_INTERVAL: durationSchema.default('1h'),
  PASSWORD_COST_LOG2: z.coerce.number().int().min(14).max(20).default(17),
  AUTH_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(20),
  AUTH_RATE_LIMIT_WINDOW: durationSchema.default('15m'),
  /** Email changes per user per window (PATCH /v1/me with an email): bounds probing which addresses are registered. */
  EMAIL_CHANGE_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(5),
  EMAIL_CHANGE_RATE_LIMIT_WINDOW: durationSchema.default('1h'),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb').default('100kb'),
  /** Behind a proxy (one hop): client IPs and HTTPS come from X-Forwarded-*. In production it also says that TLS ends at that proxy. */
  TRUST_PROXY: booleanFlag.default('false'),
  /** Production only: serve plain HTTP without a proxy on purpose, where nothing but this machine reaches the API (docker compose). */
  ALLOW_PLAIN_HTTP: booleanFlag.default('false'),

  /** Where Stripe sends the buyer back after checkout. */
  PUBLIC_APP_URL: z.string().url().default('http://localhost:3000'),
  CREDIT_PACKAGES: jsonOf(z.array(creditPackage).min(1)).default(DEFAULT_CREDIT_PACKAGES),
  /** A hold left unsettled this long is released by the scheduled sweeper. */
  RESERVATION_TTL: durationSchema.default('15m'),
  RESERVATION_SWEEP_INTERVAL: durationSchema.default('1m'),
  /** Whether this worker creates / updates the Temporal Schedules at start (one replica is enough, all is harmless). */
  WORKER_ENSURE_SCHEDULES: booleanFlag.default('true'),

  /** Credits charged for a run on the user's own key (BYOM); the model cost is theirs. */
  BYOM_PLATFORM_FEE: z.coerce.number().int().min(0).default(0),
  /** Starting executions: per user, per window; and how many may run at once per user. */
  EXECUTION_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(60),
  EXECUTION_RATE_LIMIT_WINDOW: durationSchema.default('1m'),
  MAX_CONCURRENT_EXECUTIONS: z.coerce.number().int().min(1).default(5),
  /** One model call's time limit, and how many attempts a retryable failure (429, 5xx, network) gets. */
  MODEL_TIMEOUT: durationSchema.default('60s'),
  MODEL_CALL_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  MODEL_RETRY_INITIAL_INTERVAL: durationSchema.default('1s'),
  MODEL_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(100_000).default(PROMPT_LIMIT_DEFAULTS.MODEL_MAX_OUTPUT_TOKENS),
  /** A rendered prompt's bound in characters (its estimated tokens must also fit the model's context). */
  MAX_PROMPT_CHARS: z.coerce.number().int().min(100).max(2_000_000).default(PROMPT_LIMIT_DEFAULTS.MAX_PROMPT_CHARS),

  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
});

export type Config = Readonly<z.infer<typeof envSchema>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** The API process: in production it must not serve plain HTTP unless a proxy ends TLS (TRUST_PROXY) or ALLOW_PLAIN_HTTP says so. */
  servesHttp?: boolean;
}

/** Parses the environment once. Throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  // Treat empty strings as "not set", so `FOO=` in a .env file means the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (cleaned.NODE_ENV === 'production' && (!cleaned.OPENAI_API_KEY || cleaned.OPENAI_API_KEY.startsWith('sk-sotally-dev-model'))) {
    problems.push('OPENAI_API_KEY: production needs a real model provider key (the development model is for npm start only)');
  }
  const flag = (name: string) => cleaned[name] === 'true' || cleaned[name] === '1';
  if (options.servesHttp && cleaned.NODE_ENV === 'production' && !(cleaned.TLS_CERT_FILE || cleaned.TLS_KEY_FILE) && !flag('TRUST_PROXY') && !flag('ALLOW_PLAIN_HTTP')) {
    problems.push(
      'TLS_CERT_FILE and TLS_KEY_FILE: in production the API does not serve plain HTTP. Set both to serve HTTPS, or TRUST_PROXY=true when a proxy in front of it ends TLS ' +
        '(ALLOW_PLAIN_HTTP=true only where nothing but this machine reaches the API)',
    );
  }
  if (cleaned.DATABASE_URL) problems.push(...databaseUrlProblems(cleaned.DATABASE_URL));
  problems.push(...certificatePairProblems('TLS_CERT_FILE', cleaned.TLS_CERT_FILE, 'TLS_KEY_FILE', cleaned.TLS_KEY_FILE, 'to serve HTTPS'));
  problems.push(
    ...certificatePairProblems('TEMPORAL_TLS_CERT_FILE', cleaned.TEMPORAL_TLS_CERT_FILE, 'TEMPORAL_TLS_KEY_FILE', cleaned.TEMPORAL_TLS_KEY_FILE, 'for mutual TLS with Temporal'),
  );
  if (cleaned.TEMPORAL_TLS_CA_FILE) readPem('TEMPORAL_TLS_CA_FILE', cleaned.TEMPORAL_TLS_CA_FILE, 'certificate', problems);
  const temporalTlsFiles = ['TEMPORAL_TLS_CA_FILE', 'TEMPORAL_TLS_CERT_FILE', 'TEMPORAL_TLS_KEY_FILE', 'TEMPORAL_TLS_SERVER_NAME'].filter((name) => cleaned[name]);
  if (result.success && result.data.TEMPORAL_TLS === false && temporalTlsFiles.length > 0) {
    problems.push(`TEMPORAL_TLS: false, yet ${temporalTlsFiles.join(', ')} ${temporalTlsFiles.length > 1 ? 'are' : 'is'} set (unset ${temporalTlsFiles.length > 1 ? 'them' : 'it'}, or TEMPORAL_TLS)`);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return Object.freeze(result.data);
}

/**
 * For a process's entry point: the configuration, or every problem on stderr and exit code 78
 * (EX_CONFIG), without a stack trace.
 */
export function loadConfigOrExit(options: LoadOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(78);
  }
}

/** Reads a PEM file; one that cannot be read or holds no such PEM is a problem, named by `label`. */
function readPem(label: string, file: string, kind: 'certificate', problems: string[]): X509Certificate | undefined;
function readPem(label: string, file: string, kind: 'private key', problems: string[]): KeyObject | undefined;
function readPem(label: string, file: string, kind: 'certificate' | 'private key', problems: string[]): X509Certificate | KeyObject | undefined {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (err) {
    // "ENOENT: no such file or directory, open '…'" -> "ENOENT: no such file or directory"
    problems.push(`${label}: cannot read ${file} (${(err as Error).message.split(',')[0]})`);
    return undefined;
  }
  try {
    return kind === 'certificate' ? new X509Certificate(pem) : createPrivateKey(pem);
  } catch {
    problems.push(`${label}: ${file} holds no PEM ${kind}${kind === 'private key' ? ' (or one encrypted with a passphrase, which is not supported)' : ''}`);
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false; // a key of another type than the certificate's
  }
}

/** A certificate and its key: both or neither, both readable PEM, and the key the certificate's. */
function certificatePairProblems(certLabel: string, certFile: string | undefined, keyLabel: string, keyFile: string | undefined, purpose: string): string[] {
  const problems: string[] = [];
  if (!certFile && !keyFile) return problems;
  if (!certFile || !keyFile) return [`${certLabel} and ${keyLabel}: set both ${purpose}, or neither`];
  const cert = readPem(certLabel, certFile, 'certificate', problems);
  const key = readPem(keyLabel, keyFile, 'private key', problems);
  if (cert && key && !keyMatches(cert, key)) problems.push(`${certLabel} and ${keyLabel}: the key in ${keyFile} is not the key of the certificate in ${certFile}`);
  return problems;
}

/** What node-postgres (pg-connection-string 2) does with each `sslmode`; see docs/DEVELOPMENT.md, "Postgres over TLS". */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * TLS parameters of DATABASE_URL, checked as pg would use them when it first connects: a known
 * sslmode, readable sslrootcert / sslcert / sslkey files. The URL itself (with its password) is never quoted.
 */
function databaseUrlProblems(databaseUrl: string): string[] {
  let params: URLSearchParams;
  try {
    params = new URL(databaseUrl).searchParams;
  } catch {
    return []; // pg parses some URLs that URL does not; it will say what is wrong when it connects
  }
  const problems: string[] = [];
  const sslmode = params.get('sslmode');
  if (sslmode !== null && !SSL_MODES.includes(sslmode)) problems.push(`DATABASE_URL: sslmode=${sslmode} is not one of ${SSL_MODES.join(', ')}`);
  const rootCert = params.get('sslrootcert');
  if (rootCert === 'system') {
    problems.push("DATABASE_URL: sslrootcert=system is libpq's; node-postgres reads it as a file name. Leave sslrootcert out to trust Node's CAs");
  } else if (rootCert) {
    readPem('DATABASE_URL sslrootcert', rootCert, 'certificate', problems);
  } else if (sslmode === 'verify-ca' && params.get('uselibpqcompat') === 'true') {
    problems.push('DATABASE_URL: sslmode=verify-ca needs sslrootcert (node-postgres refuses to connect without it)');
  }
  problems.push(...certificatePairProblems('DATABASE_URL sslcert', params.get('sslcert') ?? undefined, 'DATABASE_URL sslkey', params.get('sslkey') ?? undefined, 'for a client certificate'));
  return problems;
}
