import { z } from '../api/zod';
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { pageOf, pageQuery, readPage } from '../api/pagination';
import { toProviderKeyView, type ProviderKeyService } from './service';

const AddProviderKeyBody = z
  .object({
    provider: z.literal('openai'),
    apiKey: z
      .string()
      .regex(/^sk-[A-Za-z0-9_-]{20,200}$/, 'an OpenAI key looks like sk-… (letters, digits, - and _)'),
    label: z.string().trim().min(1).max(100).optional(),
  })
  .strict()
  .openapi('AddProviderKeyRequest');

const ProviderKey = z
  .object({ id: z.string().uuid(), provider: z.string(), label: z.string().nullable(), masked: z.string(), createdAt: z.date() })
  .openapi('ProviderKey');

export function registerProviderKeyRoutes(route: RouteRegistrar, keys: ProviderKeyService) {
  route({
    method: 'post',
    path: '/v1/me/provider-keys',
    summary: 'Store your own model API key (BYOM); only a masked form is ever shown again',
    tags: ['provider keys'],
    access: 'user',
    body: AddProviderKeyBody,
    responses: { 201: ProviderKey },
    handler: async ({ principal, body }) => ({ status: 201, body: toProviderKeyView(await keys.add(principal.userId, body)) }),
  });

  route({
    method: 'get',
    path: '/v1/me/provider-keys',
    summary: 'Your provider keys, masked',
    tags: ['provider keys'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(ProviderKey) },
    handler: async ({ principal, query }) => {
      return { status: 200, body: await readPage(query, (after, limit) => keys.list(principal.userId, after, limit), toProviderKeyView) };
    },
  });

  route({
    method: 'delete',
    path: '/v1/me/provider-keys/:id',
    summary: 'Delete a provider key (its ciphertext is destroyed)',
    tags: ['provider keys'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: { 404: 'not_found' },
    handler: async ({ principal, params }) => {
      await keys.remove(principal.userId, params.id);
      return { status: 204 };
    },
  });
}
