import type { RequestHandler, Router } from 'express';
import { z } from '../api/zod';
import type { RouteRegistrar } from '../api/router';
import { idParams, idempotencyKeyOf } from '../api/params';
import { pageOf, pageQuery, readPage } from '../api/pagination';
import type { ExecutionService } from './service';

const StartBody = z
  .object({
    inputs: z.record(z.unknown()),
    providerKeyId: z.string().uuid().optional(),
    waitSeconds: z.number().int().min(0).max(60).optional(),
  })
  .strict()
  .openapi('StartExecutionRequest');

const Status = z.enum(['pending', 'running', 'succeeded', 'failed']);
const Summary = {
  id: z.string().uuid(),
  toolId: z.string().uuid(),
  status: Status,
  costCredits: z.number().int().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  expiresAt: z.date(),
  purgedAt: z.date().nullable().openapi({ description: 'set once inputs and output were destroyed (expiry or deletion); content is then null' }),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
};
const ExecutionSummary = z.object(Summary).openapi('ExecutionSummary');
const Execution = z.object({ ...Summary, inputs: z.unknown(), output: z.string().nullable() }).openapi('Execution');
const Started = z.object({ id: z.string().uuid(), status: Status });

export function registerExecutionRoutes(route: RouteRegistrar, router: Router, executions: ExecutionService, startLimiter: RequestHandler) {
  router.post('/v1/tools/:id/executions', startLimiter);
  registerExecutionDeletion(route, executions);

  route({
    method: 'post',
    path: '/v1/tools/:id/executions',
    summary: 'Run a tool: 202 while it runs, 200 with the output if it finished within waitSeconds (honours Idempotency-Key)',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    body: StartBody,
    responses: { 200: Execution, 202: Started },
    errors: {
      402: 'insufficient_credits | account_under_review',
      404: 'not_found (tool or provider key)',
      409: 'idempotency_key_reused',
      422: 'invalid_inputs',
      429: 'rate_limited | too_many_running',
    },
    handler: async ({ req, principal, params, body }) => {
      const key = idempotencyKeyOf(req);
      const execution = await executions.start(principal.userId, params.id, body, key);
      const finished = execution.status === 'succeeded' || execution.status === 'failed';
      if (finished && body.waitSeconds) return { status: 200, body: executions.view(execution, true) };
      return { status: 202, body: { id: execution.id, status: execution.status }, headers: { Location: `/v1/executions/${execution.id}` } };
    },
  });

  route({
    method: 'get',
    path: '/v1/executions',
    summary: 'Your runs, newest first',
    tags: ['executions'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(ExecutionSummary) },
    handler: async ({ principal, query }) => {
      const body = await readPage(query, (after, limit) => executions.list(principal.userId, after, limit), (e) => executions.view(e, false));
      return { status: 200, body };
    },
  });

  route({
    method: 'get',
    path: '/v1/executions/:id',
    summary: 'One of your runs, with its inputs and output',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    responses: { 200: Execution },
    errors: { 404: 'not_found' },
    handler: async ({ principal, params }) => ({ status: 200, body: executions.view(await executions.getOwn(principal.userId, params.id), true) }),
  });
}

function registerExecutionDeletion(route: RouteRegistrar, executions: ExecutionService) {
  route({
    method: 'delete',
    path: '/v1/executions/:id',
    summary: 'Delete a finished run\'s inputs and output now, before their expiry',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: { 404: 'not_found', 409: 'execution_running' },
    handler: async ({ principal, params }) => {
      await executions.deleteData(principal.userId, params.id);
      return { status: 204 };
    },
  });
}
