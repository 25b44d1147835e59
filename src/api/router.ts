import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import type { z } from 'zod';
import { defineRoute, type Access, type RouteSpec } from './route';

/** Binds defineRoute to one router and one OpenAPI registry. */
export function routeRegistrar(router: Router, registry: OpenAPIRegistry) {
  return function route<
    P extends z.AnyZodObject = z.AnyZodObject,
    Q extends z.AnyZodObject = z.AnyZodObject,
    B extends z.ZodTypeAny = z.ZodUndefined,
    A extends Access = Access,
  >(spec: RouteSpec<P, Q, B, A>) {
    defineRoute(router, registry, spec);
  };
}

export type RouteRegistrar = ReturnType<typeof routeRegistrar>;
