import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { pageOf, readPage } from '../pagination';
import type { ToolService } from './service';
import type { ToolListCache } from './list-cache';
import { toolView } from './views';
import { CreateToolBody, ListToolsQuery, ToolEnvelope, Tool, UpdateToolBody } from './schemas';

/**
 * `listCache`: the public list's memory (src/tools/list-cache.ts), for anonymous visitors only; every
 * write here forgets it before answering, so the writer's next list shows the change.
 */
export function registerToolRoutes(route: RouteRegistrar, tools: ToolService, listCache?: ToolListCache) {
  route({
    method: 'post',
    path: '/v1/tools',
    operationId: 'createTool',
    summary: 'Publish a tool (every user may create tools)',
    tags: ['tools'],
    access: 'user',
    body: CreateToolBody,
    responses: {
      201: {
        schema: ToolEnvelope,
        links: {
          getTool: { id: '$response.body#/tool/id' },
          updateTool: { id: '$response.body#/tool/id' },
          deleteTool: { id: '$response.body#/tool/id' },
          startExecution: { id: '$response.body#/tool/id' },
        },
      },
    },
    errors: ['invalid_input_schema', 'invalid_prompt_template', 'model_not_priced', 'price_below_model_cost'],
    handler: async ({ principal, body }) => {
      const tool = await tools.create(principal.userId, body);
      listCache?.forget();
      return { status: 201, body: { tool: await toolView(tools, tool, principal.userId) } };
    },
  });

  route({
    method: 'get',
    path: '/v1/tools',
    operationId: 'listTools',
    summary: 'Browse tools (public view: never the prompt, except your own)',
    tags: ['tools'],
    access: 'optional',
    query: ListToolsQuery,
    responses: { 200: pageOf(Tool) },
    handler: async ({ principal, query }) => {
      const read = () =>
        readPage(
          query,
          (_after, limit, cursor) => tools.list({ creatorId: query.creatorId }, cursor, limit),
          (t) => toolView(tools, t, principal?.userId),
        );
      const body = listCache && !principal ? await listCache.read(`${query.creatorId ?? ''}|${query.cursor ?? ''}|${query.limit}`, read) : await read();
      return { status: 200, body };
    },
  });

  route({
    method: 'get',
    path: '/v1/tools/:id',
    operationId: 'getTool',
    summary: 'One tool (the prompt only for its creator)',
    tags: ['tools'],
    access: 'optional',
    params: idParams,
    responses: { 200: ToolEnvelope },
    errors: ['not_found'],
    handler: async ({ principal, params }) => ({
      status: 200,
      body: { tool: await toolView(tools, await tools.get(params.id), principal?.userId) },
    }),
  });

  route({
    method: 'patch',
    path: '/v1/tools/:id',
    operationId: 'updateTool',
    summary: 'Change your tool',
    tags: ['tools'],
    access: 'user',
    params: idParams,
    body: UpdateToolBody,
    responses: { 200: ToolEnvelope },
    errors: ['not_found', 'invalid_input_schema', 'invalid_prompt_template', 'model_not_priced', 'price_below_model_cost'],
    handler: async ({ principal, params, body }) => {
      const tool = await tools.update(params.id, principal.userId, body);
      listCache?.forget();
      return { status: 200, body: { tool: await toolView(tools, tool, principal.userId) } };
    },
  });

  route({
    method: 'delete',
    path: '/v1/tools/:id',
    operationId: 'deleteTool',
    summary: 'Delete your tool; its prompt is destroyed at once',
    tags: ['tools'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: ['not_found'],
    handler: async ({ principal, params }) => {
      await tools.remove(params.id, principal.userId);
      listCache?.forget();
      return { status: 204 };
    },
  });
}
