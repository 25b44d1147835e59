import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { type RequestHandler, type Router } from 'express';
import type { z } from 'zod';
import { defineRoute, type Access, type RouteSpec } from './route';
import { DomainError } from '../errors';

/**
 * A path's first two segments, lower-cased: `/v1/tools/:id` → `/v1/tools`, `/healthz` → `/healthz`.
 * Express matches paths case-insensitively and with or without a trailing slash, and so does this.
 */
export function groupOf(requestPath: string): string {
  const path = requestPath.length > 1 && requestPath.endsWith('/') ? requestPath.slice(0, -1) : requestPath;
  const second = path.indexOf('/', 1);
  const third = second === -1 ? -1 : path.indexOf('/', second + 1);
  return (third === -1 ? path : path.slice(0, third)).toLowerCase();
}

/**
 * Binds defineRoute to one OpenAPI registry, and to one Express router per group of paths (their
 * first two segments), so a request is matched against the few routes of its group rather than every
 * route in turn (docs/BENCHMARKS.md, "API reads": Express's router walked some hundred layers per
 * request). Every route's group must be literal. `finish()`, called once every route is declared,
 * answers a method a declared path does not serve with 405 method_not_allowed and an Allow header
 * (not a 404: the path exists), and returns the middleware that hands each request to its group.
 */
export function routeRegistrar(registry: OpenAPIRegistry) {
  const methodsByPath = new Map<string, Set<string>>();
  const groups = new Map<string, Router>();
  const groupRouter = (path: string) => {
    const group = groupOf(path);
    if (group.includes(':') || group.includes('*')) throw new Error(`route ${path}: its first two segments must be literal`);
    let router = groups.get(group);
    if (!router) groups.set(group, (router = express.Router()));
    return router;
  };
  function route<
    P extends z.AnyZodObject = z.AnyZodObject,
    Q extends z.AnyZodObject = z.AnyZodObject,
    B extends z.ZodTypeAny = z.ZodUndefined,
    A extends Access = Access,
  >(spec: RouteSpec<P, Q, B, A>) {
    defineRoute(groupRouter(spec.path), registry, spec);
    const methods = methodsByPath.get(spec.path) ?? new Set<string>();
    methods.add(spec.method.toUpperCase());
    if (spec.method === 'get') methods.add('HEAD');
    methodsByPath.set(spec.path, methods);
  }
  route.finish = (): RequestHandler => {
    for (const [path, methods] of methodsByPath) {
      const allow = [...methods].join(', ');
      groupRouter(path).all(path, (req, res) => {
        res.setHeader('Allow', allow);
        throw new DomainError('method_not_allowed', `${req.method} is not served here; use ${allow}`);
      });
    }
    return (req, res, next) => {
      const router = groups.get(groupOf(req.path));
      if (router) router(req, res, next);
      else next();
    };
  };
  return route;
}

export type RouteRegistrar = ReturnType<typeof routeRegistrar>;
