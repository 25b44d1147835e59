// The OpenAPI document is generated from the same zod schemas that validate
// requests and shape responses (see route.ts), so the docs cannot drift.
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from '../zod';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.register('Error', ErrorBody);
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  registry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'sid' });
  return registry;
}

export function generateDocument(registry: OpenAPIRegistry) {
  // OpenAPI 3.1: its schemas are JSON Schema 2020-12, which can say what the server checks (propertyNames).
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Sotally API',
      version: '1.0.0',
      description:
        'Marketplace of AI tools. Errors are {"error": {"code", "message", "details"?}}. ' +
        'Cookie-authenticated unsafe requests must send X-CSRF-Token (the value of the csrf_token cookie).',
    },
    servers: [{ url: '/' }],
  });
}
