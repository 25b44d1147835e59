// defineRoute: one declaration per endpoint that
//   - registers it in the OpenAPI document,
//   - authenticates and authorizes the caller,
//   - validates params, query and body (unknown fields rejected),
//   - shapes the response through its zod schema (unknown fields stripped,
//     so an encrypted column or a hash can never leak by accident).
import type { Request, RequestHandler, Response, Router } from 'express';
import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
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

/** A response header as the OpenAPI document shows it. */
interface HeaderDoc {
  description: string;
  schema: { type: 'string' | 'integer'; format?: string };
}

/** A success response: its schema (`null`: no body), and optionally what it means, its headers and content type. */
export type ResponseSpec =
  | ZodTypeAny
  | null
  | {
      schema: ZodTypeAny | null;
      description?: string;
      headers?: Record<string, HeaderDoc>;
      contentType?: string;
      /** What a client can do next with this answer: operationId → its parameters from the response (OpenAPI links). */
      links?: Record<string, Record<string, string>>;
    };

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends ZodTypeAny, A extends Access> {
  method: Method;
  path: string;
  /** A stable name clients' generated code uses for this operation. */
  operationId: string;
  summary: string;
  /** Longer explanation; the document adds who may call the route. */
  description?: string;
  tags: string[];
  access: A;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body's media type: JSON (default), or `form` (application/x-www-form-urlencoded), the one
   * exception, for RFC 8058 one-click unsubscribe posts (app.ts parses it on that path only).
   */
  bodyType?: 'json' | 'form';
  /**
   * The route answers browsers with HTML pages, its refusals included (the unsubscribe link):
   * the document lists text/html next to JSON for each status.
   */
  htmlPages?: boolean;
  /** The handler reads req.body as the raw bytes (webhooks whose signature covers them); `body` then only documents it. */
  rawBody?: boolean;
  /** Request headers the handler reads, documented as parameters (Idempotency-Key has its own field). */
  headers?: Record<string, { description: string; required?: boolean }>;
  /** The route honours (or requires) an Idempotency-Key header; the handler receives it as `idempotencyKey`. */
  idempotencyKey?: 'optional' | 'required';
  /** Success responses by status. */
  responses: Record<number, ResponseSpec>;
  /**
   * Error codes from the catalog (src/errors.ts) this route's handler may answer with; the codes
   * every route of its kind may answer (validation, authentication, body parsing, rate limit) are added.
   */
  errors?: readonly ErrorCode[];
  /**
   * The route needs a fresh proof of the account (POST /v1/auth/reauth within REAUTH_TTL), so a
   * stolen session cookie or token alone cannot use it: else 403 `reauthentication_required`.
   */
  freshProof?: boolean;
  /** A rate limiter (src/api/rate-limit.ts) run before the handler; its 429 is documented. */
  rateLimit?: RequestHandler;
  handler: (ctx: HandlerContext<z.infer<P>, z.infer<Q>, z.infer<B>, A> & { idempotencyKey: string | undefined }) => Promise<Reply>;
}

const emptyStrict = z.object({}).strict();

/** 1 to 255 visible ASCII characters: the server's check and the document's pattern. */
const IDEMPOTENCY_KEY_PATTERN = '^[!-~]{1,255}$';
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

const SUCCESS_DESCRIPTIONS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted: the work continues in the background', 204: 'Done; no body' };

const RATE_LIMIT_HEADERS: Record<string, HeaderDoc> = {
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'integer' } },
  RateLimit: { description: 'remaining requests and seconds until the window resets (IETF draft 7)', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'the limit and its window (IETF draft 7)', schema: { type: 'string' } },
};

function accessSentence(access: Access): string {
  if (access === 'public') return 'Public: no sign-in needed (a Bearer token, if sent, must be valid).';
  if (access === 'optional') return 'Public; a signed-in caller (Bearer token or session cookie) may see more.';
  if (access === 'user') return 'Needs a signed-in user: a Bearer token (`Authorization: Bearer stl_...`) or the session cookie.';
  return `Needs one of the roles: ${access.join(', ')}.`;
}

/** A declared success response in its long form. */
const responseOf = (declared: ResponseSpec) => (declared === null || declared instanceof z.ZodType ? { schema: declared } : declared);

/** Registers the route's operation in the OpenAPI document. */
function registerOperation(registry: OpenAPIRegistry, spec: RouteSpec<AnyObject, AnyObject, ZodTypeAny, Access>) {
  const responses: RouteConfig['responses'] = {};
  for (const [status, declared] of Object.entries(spec.responses)) {
    const response = responseOf(declared);
    const content = response.schema
      ? { [response.contentType ?? 'application/json']: { schema: response.schema }, ...(spec.htmlPages ? { 'text/html': { schema: z.string() } } : {}) }
      : undefined;
    responses[status] = {
      description: response.description ?? SUCCESS_DESCRIPTIONS[Number(status)] ?? 'OK',
      ...(response.headers ? { headers: response.headers as ResponseConfig['headers'] } : {}),
      ...('links' in response && response.links
        ? { links: Object.fromEntries(Object.entries(response.links).map(([operationId, parameters]) => [operationId, { operationId, parameters }])) }
        : {}),
      ...(content ? { content } : {}),
    };
  }
  for (const [status, codes] of Object.entries(errorsByStatus(spec))) {
    const described = codes.map((code) => `\`${code}\`: ${ERROR_CATALOG[code]}`).join('; ');
    const declared = responses[status] as ResponseConfig | undefined;
    if (declared) {
      // The route declares this status itself (readyz's 503): its body stays, the codes are added.
      responses[status] = { ...declared, description: `${declared.description}; also ${described}` };
      continue;
    }
    responses[status] = {
      description: described,
      ...(Number(status) === 429 ? { headers: RATE_LIMIT_HEADERS as ResponseConfig['headers'] } : {}),
      content: { 'application/json': { schema: ErrorBody }, ...(spec.htmlPages ? { 'text/html': { schema: z.string() } } : {}) },
    };
  }
  const headerParams: Record<string, { description: string; required: boolean; pattern?: string }> = {};
  if (spec.idempotencyKey) {
    headerParams['Idempotency-Key'] = {
      pattern: IDEMPOTENCY_KEY_PATTERN,
      description: `1 to 255 visible ASCII characters; the same key with the same request returns the first result${spec.idempotencyKey === 'required' ? ' (required)' : ''}`,
      required: spec.idempotencyKey === 'required',
    };
  }
  for (const [name, header] of Object.entries(spec.headers ?? {})) headerParams[name] = { description: header.description, required: header.required ?? false };
  if (spec.method !== 'get') {
    headerParams['X-CSRF-Token'] = { description: 'required when authenticated by the session cookie: the value of the csrf_token cookie', required: false };
  }
  const headers = Object.keys(headerParams).length
    ? z.object(
        Object.fromEntries(
          Object.entries(headerParams).map(([name, h]) => {
            const schema = z.string().openapi({ description: h.description, ...(h.pattern ? { pattern: h.pattern } : {}) });
            return [name, h.required ? schema : schema.optional()];
          }),
        ),
      )
    : undefined;
  const open = spec.access === 'public' || spec.access === 'optional';
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
    operationId: spec.operationId,
    summary: spec.summary,
    description: [spec.description ?? spec.summary, accessSentence(spec.access), ...(spec.freshProof ? ['Needs a fresh proof of the account: `POST /v1/auth/reauth` within the last 10 minutes (REAUTH_TTL).'] : [])].join('\n\n'),
    tags: spec.tags,
    // `{}` first: a public route is open to anyone; a credential, when sent, is still checked.
    security: open ? [{}, { bearer: [] }, { session: [] }] : [{ bearer: [] }, { session: [] }],
    request: {
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.query ? { query: spec.query } : {}),
      ...(headers ? { headers } : {}),
      ...(spec.body ? { body: { required: true, content: { [spec.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json']: { schema: spec.body } } } } : {}),
    },
    responses,
  });
}

export function defineRoute<
  P extends AnyObject = typeof emptyStrict,
  Q extends AnyObject = typeof emptyStrict,
  B extends ZodTypeAny = z.ZodUndefined,
  A extends Access = Access,
>(router: Router, registry: OpenAPIRegistry, spec: RouteSpec<P, Q, B, A>): void {
  registerOperation(registry, spec as unknown as RouteSpec<AnyObject, AnyObject, ZodTypeAny, Access>);

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
    let idempotencyKey: string | undefined;
    if (spec.idempotencyKey) {
      idempotencyKey = req.header('idempotency-key');
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new DomainError('invalid_idempotency_key');
      if (idempotencyKey === undefined && spec.idempotencyKey === 'required') {
        throw new DomainError('idempotency_key_required', 'send an Idempotency-Key header, so a retried request is applied once');
      }
    }
    let body: unknown = undefined;
    if (spec.rawBody) {
      if (!Buffer.isBuffer(req.body)) throw new DomainError('malformed_body', 'expected a raw request body');
      body = req.body;
    } else if (spec.body) {
      const sent = req.headers['content-type'] !== undefined || (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
      const mediaType = spec.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (!sent) throw new DomainError('body_required', `this route needs a body (${mediaType})`);
      if (!req.is(mediaType)) {
        throw new DomainError('unsupported_media_type', `send the body as ${mediaType}`);
      }
      body = spec.body.parse(req.body);
    } else if (req.headers['content-length'] && req.headers['content-length'] !== '0') {
      throw new DomainError('unexpected_body', 'this route takes no request body');
    }
    if (spec.freshProof && !principal?.freshlyProven) throw new DomainError('reauthentication_required');
    const reply = await spec.handler({ req, res, params, query, body, principal, idempotencyKey } as HandlerContext<
      z.infer<P>,
      z.infer<Q>,
      z.infer<B>,
      A
    > & { idempotencyKey: string | undefined });
    if (res.headersSent) return; // the handler streamed a non-JSON answer itself (e.g. /metrics)
    const declared = spec.responses[reply.status];
    if (declared === undefined) throw new Error(`route ${spec.method.toUpperCase()} ${spec.path} answered undeclared status ${reply.status}`);
    const schema = responseOf(declared).schema;
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    if (schema === null) {
      res.status(reply.status).end();
      return;
    }
    res.status(reply.status).json(schema.parse(reply.body));
  });
}

/** Every error code a route may answer with, grouped by HTTP status. */
export function errorsByStatus(
  spec: Pick<RouteSpec<AnyObject, AnyObject, ZodTypeAny, Access>, 'access' | 'body' | 'errors' | 'params' | 'query' | 'rateLimit' | 'rawBody' | 'method' | 'idempotencyKey' | 'freshProof'>,
) {
  const codes = new Set<ErrorCode>(spec.errors ?? []);
  if (spec.params || spec.query || (spec.body && !spec.rawBody)) codes.add('validation_failed');
  if (spec.body && !spec.rawBody) for (const code of ['body_required', 'malformed_json', 'payload_too_large', 'unsupported_media_type'] as const) codes.add(code);
  if (!spec.body && spec.method !== 'get') codes.add('unexpected_body');
  if (spec.idempotencyKey) codes.add('invalid_idempotency_key');
  if (spec.idempotencyKey === 'required') codes.add('idempotency_key_required');
  codes.add('invalid_token'); // a bad Bearer token is refused on every route, public ones included
  if (spec.access !== 'public' && spec.access !== 'optional') codes.add('unauthenticated');
  if (spec.method !== 'get') codes.add('csrf_token_invalid'); // a session cookie without X-CSRF-Token, on any unsafe request
  if (Array.isArray(spec.access)) codes.add('forbidden');
  if (spec.freshProof) codes.add('reauthentication_required');
  if (spec.rateLimit) codes.add('rate_limited');
  // A list's cursor is opaque: one this API did not return is a 400.
  if (spec.query && 'cursor' in ((spec.query as unknown as { shape?: object }).shape ?? {})) codes.add('invalid_cursor');
  // Every route may find Postgres unreachable: authentication reads it whenever a credential is sent.
  codes.add('database_unavailable');
  const byStatus: Record<number, ErrorCode[]> = {};
  for (const code of codes) (byStatus[HTTP_STATUS[code]] ??= []).push(code);
  return byStatus;
}
