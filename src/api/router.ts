import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import type { z } from 'zod';
import { defineRoute, type Access, type RouteSpec } from './route';
import { DomainError } from '../errors';

/**
 * Binds defineRoute to one router and one OpenAPI registry. `finish()`, called
 * once every route is declared, answers a method a declared path does not serve
 * with 405 method_not_allowed and an Allow header (not a 404: the path exists).
 */
export function routeRegistrar(router: Router, registry: OpenAPIRegistry) {
  const methodsByPath = new Map<string, Set<string>>();
  function route<
    P extends z.AnyZodObject = z.AnyZodObject,
    Q extends z.AnyZodObject = z.AnyZodObject,
    B extends z.ZodTypeAny = z.ZodUndefined,
    A extends Access = Access,
  >(spec: RouteSpec<P, Q, B, A>) {
    defineRoute(router, registry, spec);
    const methods = methodsByPath.get(spec.path) ?? new Set<string>();
    methods.add(spec.method.toUpperCase());
    if (spec.method === 'get') methods.add('HEAD');
    methodsByPath.set(spec.path, methods);
  }
  route.finish = () => {
    for (const [path, methods] of methodsByPath) {
      const allow = [...methods].join(', ');
      router.all(path, (req, res) => {
        res.setHeader('Allow', allow);
        throw new DomainError('method_not_allowed', `${req.method} is not served here; use ${allow}`);
      });
    }
  };
  return route;
}

export type RouteRegistrar = ReturnType<typeof routeRegistrar>;
