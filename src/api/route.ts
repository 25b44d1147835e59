// defineRoute: one declaration per endpoint that
//   - registers it in the OpenAPI document,
//   - authenticates and authorizes the caller,
//   - validates params, query and body (unknown fields rejected),
//   - shapes the response through its zod schema (unknown fields stripped,
//     so an encrypted column or a hash can never leak by accident).
import type { Request, Response, Router } from 'express';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { ZodTypeAny } from 'zod';
import { z } from './zod';
import { AppError, forbidden, unauthenticated } from './errors';
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
  /** Error codes this route may answer with, by status (documented in OpenAPI). */
  errors?: Record<number, string>;
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
  const errorStatuses: Record<number, string> = { 400: 'validation_failed', ...spec.errors };
  if (spec.access !== 'public' && spec.access !== 'optional') errorStatuses[401] ??= 'unauthenticated';
  if (Array.isArray(spec.access)) errorStatuses[403] ??= 'forbidden';
  for (const [status, codes] of Object.entries(errorStatuses)) {
    responses[status] = { description: codes, content: { 'application/json': { schema: ErrorBody } } };
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

  router[spec.method](spec.path, async (req: Request, res: Response) => {
    const principal = req.principal;
    if (spec.access !== 'public' && spec.access !== 'optional') {
      if (!principal) throw unauthenticated();
      if (Array.isArray(spec.access) && !spec.access.some((role) => principal.roles.includes(role))) throw forbidden();
    }
    for (const [part, value] of [['query', req.query], ['body', spec.rawBody ? undefined : req.body]] as const) {
      const problem = findTextProblem(value);
      if (problem) throw new AppError(400, 'validation_failed', 'the request is not valid', [{ ...problem, path: problem.path, in: part }]);
    }
    const params = paramsSchema.parse(req.params);
    const query = querySchema.parse(req.query);
    let body: unknown = undefined;
    if (spec.rawBody) {
      if (!Buffer.isBuffer(req.body)) throw new AppError(400, 'invalid_body', 'expected a raw request body');
      body = req.body;
    } else if (spec.body) {
      if (!req.is('application/json')) {
        throw new AppError(415, 'unsupported_media_type', 'send the body as application/json');
      }
      body = spec.body.parse(req.body);
    } else if (req.headers['content-length'] && req.headers['content-length'] !== '0') {
      throw new AppError(400, 'unexpected_body', 'this route takes no request body');
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

/** Path parameter that must be a UUID (a malformed id is a 400 validation_failed). */
export const uuidParam = z.string().uuid();
