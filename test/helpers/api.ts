// A real API over real HTTP for tests: the Express app on an ephemeral port,
// with its own Temporal client and Prisma pool, plus a small cookie-aware client.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import { createCredentialCache } from '../../src/api/credential-cache';
import { createToolListCache } from '../../src/tools/list-cache';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { createPrisma } from '../../src/db';
import { createMetricsRegistry } from '../../src/metrics';
import { capturingLogger, testConfig, uniqueEmail } from './env';
import type { ApiDeps } from '../../src/api/deps';

export interface TestApi {
  baseUrl: string;
  deps: ApiDeps;
  logLines: string[];
  close(): Promise<void>;
}

export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const config = testConfig(overrides);
  const { logger, lines } = capturingLogger();
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const deps: ApiDeps = {
    config,
    logger,
    keyring,
    prisma: createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE),
    temporal: createTemporalClient(config, keyring),
    metricsRegistry: createMetricsRegistry(false),
    credentials: config.AUTH_CACHE_SIZE === 0 ? undefined : createCredentialCache({ databaseUrl: config.DATABASE_URL, ttlMs: config.AUTH_CACHE_TTL, maxEntries: config.AUTH_CACHE_SIZE, logger }),
    toolList:
      config.TOOL_LIST_CACHE_SIZE === 0
        ? undefined
        : createToolListCache({ databaseUrl: config.DATABASE_URL, ttlMs: config.TOOL_LIST_CACHE_TTL, maxEntries: config.TOOL_LIST_CACHE_SIZE, logger }),
  };
  const server: Server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    deps,
    logLines: lines,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await deps.credentials?.close();
      await deps.toolList?.close();
      await deps.prisma.$disconnect();
      await deps.temporal.connection.close();
    },
  };
}

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

/** A client that keeps cookies like a browser and sends the CSRF header like the web app would. */
export class HttpClient {
  cookies = new Map<string, string>();
  bearer?: string;
  sendCsrf = true;

  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && typeof body !== 'string') h['content-type'] ??= 'application/json';
    if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const csrf = this.cookies.get('csrf_token');
    if (this.sendCsrf && csrf && !['GET', 'HEAD'].includes(method)) h['x-csrf-token'] ??= csrf;
    if (this.bearer) h.authorization ??= `Bearer ${this.bearer}`;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, eq);
      const value = (pair ?? '').slice(eq + 1);
      if (value === '' || line.toLowerCase().includes('max-age=0')) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined; // not JSON (e.g. the docs page): tests read `text`
    }
    return { status: res.status, body: parsed as T, headers: res.headers, text };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** Signs a new user up and returns a client holding their session. */
export async function signedUpClient(baseUrl: string, name = 'Test User'): Promise<{ client: HttpClient; user: any; email: string }> {
  const client = new HttpClient(baseUrl);
  const email = uniqueEmail();
  const res = await client.post('/v1/auth/signup', { name, email, password: TEST_PASSWORD });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
  return { client, user: res.body.user, email };
}

/** Proves the account again on the client's session or token (POST /v1/auth/reauth), as export and erasure need. */
export async function reauth(client: HttpClient, password = TEST_PASSWORD): Promise<void> {
  const res = await client.post('/v1/auth/reauth', { password });
  if (res.status !== 204) throw new Error(`reauth failed: ${res.status} ${res.text}`);
}
