// Service endpoints: liveness, readiness, metrics, OpenAPI docs, and the
// Temporal Web UI codec server.
import express, { type Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Payload } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import { z } from '../zod';
import type { RouteRegistrar } from './router';
import type { ApiDeps } from './deps';
import { EncryptionCodec } from '../temporal/codec';
import { DomainError } from '../errors';
import { generateDocument } from './openapi';

const OPERATOR_ROLES = ['admin'] as const;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())]);
}

const ReadyBody = z.object({ status: z.literal('ready'), checks: z.record(z.literal('ok')) });
const NotReadyBody = z.object({
  error: z.object({ code: z.literal('not_ready'), message: z.string(), details: z.record(z.enum(['ok', 'down'])) }),
});

const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';
const base64 = z.string().regex(new RegExp(BASE64), 'must be base64').openapi({ pattern: BASE64, contentEncoding: 'base64' } as object);
const METADATA_KEY = '^[A-Za-z0-9._-]{1,128}$';
const CodecPayload = z
  .object({
    metadata: z
      .record(z.string().regex(new RegExp(METADATA_KEY)), base64)
      .default({})
      .openapi({ maxProperties: 32, ...({ propertyNames: { type: 'string', pattern: METADATA_KEY } } as object) }),
    data: base64.optional(),
  })
  .strict();
const CodecBody = z.object({ payloads: z.array(CodecPayload).max(1000) }).strict().openapi('CodecPayloads');

export function registerServiceRoutes(route: RouteRegistrar, deps: ApiDeps) {
  route({
    method: 'get',
    path: '/healthz',
    operationId: 'getLiveness',
    summary: 'Liveness: 200 while the process runs',
    tags: ['service'],
    access: 'public',
    responses: { 200: z.object({ status: z.literal('ok') }) },
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  });

  route({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: 200 when Postgres and Temporal answer, else 503',
    tags: ['service'],
    access: 'public',
    responses: {
      200: { schema: ReadyBody, description: 'Ready: Postgres and Temporal answer' },
      503: { schema: NotReadyBody, description: 'Not ready: a dependency does not answer (details says which)' },
    },
    handler: async () => {
      const [postgres, temporal] = await Promise.allSettled([
        withTimeout(deps.prisma.$queryRaw`SELECT 1`, 2000),
        // A gRPC deadline (not just a race) so the call and its retries end by themselves.
        deps.temporal.connection.withDeadline(Date.now() + 2000, () => (deps.temporal.connection as Connection).healthService.check({})),
      ]);
      const checks = { postgres: postgres.status === 'fulfilled' ? 'ok' : 'down', temporal: temporal.status === 'fulfilled' ? 'ok' : 'down' };
      if (Object.values(checks).every((c) => c === 'ok')) return { status: 200, body: { status: 'ready', checks } };
      return { status: 503, body: { error: { code: 'not_ready', message: 'a dependency does not answer', details: checks } } };
    },
  });

  route({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (operators: admin role)',
    tags: ['service'],
    access: OPERATOR_ROLES,
    responses: { 200: { schema: z.string(), contentType: 'text/plain; version=0.0.4', description: 'Metrics in the Prometheus text format' } },
    handler: async ({ res }) => {
      // Text exposition format, not JSON: answer directly.
      res.setHeader('Content-Type', deps.metricsRegistry.contentType);
      res.status(200).end(await deps.metricsRegistry.metrics());
      return { status: 200, body: '' };
    },
  });

  const codec = new EncryptionCodec(deps.keyring);
  const toPayloads = (body: z.infer<typeof CodecBody>): Payload[] =>
    body.payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
    }));
  const fromPayloads = (payloads: Payload[]) => ({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: p.data ? Buffer.from(p.data).toString('base64') : undefined,
    })),
  });

  for (const direction of ['encode', 'decode'] as const) {
    route({
      method: 'post',
      path: `/codec/${direction}`,
      operationId: `${direction}Payloads`,
      summary: `Temporal Web UI codec server: ${direction} payloads (operators: admin role)`,
      tags: ['service'],
      access: OPERATOR_ROLES,
      body: CodecBody,
      responses: { 200: CodecBody },
      errors: ['undecodable_payload'],
      handler: async ({ body }) => {
        try {
          return { status: 200, body: fromPayloads(await codec[direction](toPayloads(body))) };
        } catch {
          throw new DomainError('undecodable_payload', `a payload could not be ${direction}d with the configured keys`);
        }
      },
    });
  }
}

/** CORS for the codec endpoints: only the configured Temporal UI origin, with credentials. */
export function codecCors(uiOrigin: string | undefined): express.RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && uiOrigin && origin === uiOrigin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
      res.setHeader('Access-Control-Max-Age', '600');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin && origin === uiOrigin ? 204 : 403).end();
      return;
    }
    next();
  };
}

export function registerDocs(router: Router, registry: OpenAPIRegistry) {
  let document: ReturnType<typeof generateDocument> | undefined;
  const getDocument = () => (document ??= generateDocument(registry));
  router.get('/openapi.json', (_req, res) => {
    res.json(getDocument());
  });
  router.use('/docs', swaggerUi.serveFiles(undefined, { swaggerUrl: '/openapi.json' }), swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json' }));
}
