import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { ProviderKeyService } from './service';
import { toProviderKeyView } from './views';
import { AddProviderKeyBody, ProviderKey } from './schemas';

export function registerProviderKeyRoutes(route: RouteRegistrar, keys: ProviderKeyService) {
  route({
    method: 'post',
    path: '/v1/me/provider-keys',
    operationId: 'addProviderKey',
    summary: 'Store your own model API key (BYOM); only a masked form is ever shown again',
    tags: ['provider keys'],
    access: 'user',
    body: AddProviderKeyBody,
    responses: { 201: { schema: ProviderKey, links: { deleteProviderKey: { id: '$response.body#/id' } } } },
    handler: async ({ principal, body }) => ({ status: 201, body: toProviderKeyView(await keys.add(principal.userId, body)) }),
  });

  route({
    method: 'get',
    path: '/v1/me/provider-keys',
    operationId: 'listProviderKeys',
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
    operationId: 'deleteProviderKey',
    summary: 'Delete a provider key (its ciphertext is destroyed)',
    tags: ['provider keys'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: ['not_found'],
    handler: async ({ principal, params }) => {
      await keys.remove(principal.userId, params.id);
      return { status: 204 };
    },
  });
}
