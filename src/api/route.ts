// defineRoute: one declaration per endpoint that
//   - registers it in the OpenAPI document,
//   - authenticates and authorizes the caller,
//   - validates params, query and body (unknown fields rejected),
//   - shapes the response through its zod schema (unknown fields stripped,
//     so an encrypted column or a hash can never leak by accident).
import type { Request, RequestHandler, Response, Router } from 'express';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodTypeAny } from 'zod';
import { z } from '../zod';
import { forbidden, HTTP_STATUS, unauthenticated } from './errors';
import { DomainError, ERROR_CATALOG, type ErrorCode } from '../errors';
import { ErrorBody } from './openapi';
import type { Principal } from './auth';
import { findTextProblem } from './text-safety';
import type { Role } from '@prisma/client';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type AnyObject = z.AnyZodObject;

/** Who may call a route: anyone, anyone signed in (optional identity), any user, or users with one of these roles. */
export type Access = 'public' | 'optional' | 'user' | readonly Role[];

export interface HandlerContext<P, Q, B, A extends Access> {
  req: Request;
  res: Response;
  params: P;
  query: Q;
  body: B;
  principal: A extends 'public' | 'optional' ? Principal | undefined : Principal;
}

export interface Reply<S extends number = number> {
  status: S;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends ZodTypeAny, A extends Access> {
  method: Method;
  path: string;
  summary: string;
  tags: string[];
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /** The handler reads req.body as the raw bytes (webhooks whose signature covers them); `body` then only documents it. */
  rawBody?: boolean;
  /** Response schemas by status; `null` means no body (e.g. 204). */
  responses: Record<number, ZodTypeAny | null>;
  /**
   * Error codes from the catalog (src/errors.ts) this route's handler may answer with; the codes
   * every route of its kind may answer (validation, authentication, body parsing, rate limit) are added.
   */
  errors?: readonly ErrorCode[];
  /** A rate limiter (src/api/rate-limit.ts) run before the handler; its 429 is documented. */
  rateLimit?: RequestHandler;
  handler: (ctx: HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>, A>) => Promise<Reply>;
}

const emptyStrict = z.object({}).strict();

export function defineRoute<
  P extends AnyObject = typeof emptyStrict,
  Q extends AnyObject = typeof emptyStrict,
  B extends ZodTypeAny = z.ZodUndefined,
  A extends Access = Access,
>(router: Router, registry: OpenAPIRegistry, spec: RouteSpec<P, Q, B, A>): void {
  const openapiPath = spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const responses: RouteConfig['responses'] = {};
  for (const [status, schema] of Object.entries(spec.responses)) {
    responses[status] = schema
      ? { description: 'OK', content: { 'application/json': { schema } } }
      : { description: 'No content' };
  }
  for (const [status, codes] of Object.entries(errorsByStatus(spec))) {
    responses[status] = {
      description: codes.map((code) => `\`${code}\`: ${ERROR_CATALOG[code]}`).join('; '),
      content: { 'application/json': { schema: ErrorBody } },
    };
  }
  registry.registerPath({
    method: spec.method,
    path: openapiPath,
    summary: spec.summary,
    tags: spec.tags,
    security: spec.access === 'public' ? [] : [{ bearer: [] }, { session: [] }],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
    },
    responses,
  });

  const paramsSchema = spec.params ?? emptyStrict;
  const querySchema = spec.query ?? emptyStrict;

  const handlers: RequestHandler[] = spec.rateLimit ? [spec.rateLimit] : [];
  router[spec.method](spec.path, ...handlers, async (req: Request, res: Response) => {
    const principal = req.principal;
    if (spec.access !== 'public' && spec.access !== 'optional') {
      if (!principal) throw unauthenticated();
      if (Array.isArray(spec.access) && !spec.access.some((role) => principal.roles.includes(role))) throw forbidden();
    }
    for (const [part, value] of [['query', req.query], ['body', spec.rawBody ? undefined : req.body]] as const) {
      const problem = findTextProblem(value);
      if (problem) throw new DomainError('validation_failed', 'the request is not valid', [{ ...problem, path: problem.path, in: part }]);
    }
    const params = paramsSchema.parse(req.params);
    const query = querySchema.parse(req.query);
    let body: unknown = undefined;
    if (spec.rawBody) {
      if (!Buffer.isBuffer(req.body)) throw new DomainError('malformed_body', 'expected a raw request body');
      body = req.body;
    } else if (spec.body) {
      if (!req.is('application/json')) {
        throw new DomainError('unsupported_media_type', 'send the body as application/json');
      }
      body = spec.body.parse(req.body);
    } else if (req.headers['content-length'] && req.headers['content-length'] !== '0') {
      throw new DomainError('unexpected_body', 'this route takes no request body');
    }
    const reply = await spec.handler({ req, res, params, query, body, principal } as HandlerContext<
      z.infer<P>,
      z.infer<Q>,
      z.infer<B>,
      A
    >);
    if (res.headersSent) return; // the handler streamed a non-JSON answer itself (e.g. /metrics)
    const schema = spec.responses[reply.status];
    if (schema === undefined) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} answered undeclared status ${reply.status}`);
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (schema === null) {
      res.status(reply.status).end();
      return;
    }
    res.status(reply.status).json(schema.parse(reply.body));
  });
}

/** Every error code a route may answer with, grouped by HTTP status. */
export function errorsByStatus(spec: Pick<RouteSpec<AnyObject, AnyObject, ZodTypeAny, Access>, 'access' | 'body' | 'errors' | 'params' | 'query' | 'rateLimit' | 'rawBody' | 'method'>) {
  const codes = new Set<ErrorCode>(spec.errors ?? []);
  if (spec.params || spec.query || spec.body) codes.add('validation_failed');
  if (spec.body && !spec.rawBody) for (const code of ['malformed_json', 'payload_too_large', 'unsupported_media_type'] as const) codes.add(code);
  codes.add('invalid_token'); // a bad Bearer token is refused on every route, public ones included
  if (spec.access !== 'public' && spec.access !== 'optional') codes.add('unauthenticated');
  if (spec.method !== 'get') codes.add('csrf_token_invalid'); // a session cookie without X-CSRF-Token, on any unsafe request
  if (Array.isArray(spec.access)) codes.add('forbidden');
  if (spec.rateLimit) codes.add('rate_limited');
  const byStatus: Record<number, ErrorCode[]> = {};
  for (const code of codes) (byStatus[HTTP_STATUS[code]] ??= []).push(code);
  return byStatus;
}
