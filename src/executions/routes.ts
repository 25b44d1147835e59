// HTTP routes of tool runs: start (update-with-start; 402 when credits are
// short), list, read, and early deletion of a run's content.
import type { RequestHandler } from 'express';
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import type { DataKeys } from '../crypto/data-keys';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { ExecutionService } from './service';
import { ExecutionSummary, Execution, Started, StartBody } from './schemas';
import { executionSummaryView, executionView } from './views';

export function registerExecutionRoutes(route: RouteRegistrar, executions: ExecutionService, dataKeys: DataKeys, startLimiter: RequestHandler) {
  registerExecutionDeletion(route, executions);

  route({
    method: 'post',
    path: '/v1/tools/:id/executions',
    operationId: 'startExecution',
    summary: 'Run a tool: 202 while it runs, 200 with the output if it finished within waitSeconds (honours Idempotency-Key)',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    body: StartBody,
    idempotencyKey: 'optional',
    responses: {
      200: {
        schema: Execution,
        description: 'The run finished within waitSeconds: its output',
        links: { getExecution: { id: '$response.body#/id' }, deleteExecutionData: { id: '$response.body#/id' } },
      },
      202: {
        schema: Started,
        description: 'The run is admitted (credits held) and running; poll its Location',
        headers: { Location: { description: 'the run: /v1/executions/{id}', schema: { type: 'string' } } },
        links: { getExecution: { id: '$response.body#/id' }, deleteExecutionData: { id: '$response.body#/id' } },
      },
    },
    rateLimit: startLimiter,
    errors: [
      'insufficient_credits',
      'account_under_review',
      'not_found',
      'idempotency_key_reused',
      'invalid_inputs',
      'provider_key_required',
      'prompt_too_large',
      'tool_misconfigured',
      'model_not_priced',
      'too_many_running',
    ],
    handler: async ({ principal, params, body, idempotencyKey }) => {
      const execution = await executions.start(principal.userId, params.id, body, idempotencyKey);
      const finished = execution.status === 'succeeded' || execution.status === 'failed';
      if (finished && body.waitSeconds) return { status: 200, body: await executionView(dataKeys, execution) };
      return { status: 202, body: { id: execution.id, status: execution.status }, headers: { Location: `/v1/executions/${execution.id}` } };
    },
  });

  route({
    method: 'get',
    path: '/v1/executions',
    operationId: 'listExecutions',
    summary: 'Your runs, newest first',
    tags: ['executions'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(ExecutionSummary) },
    handler: async ({ principal, query }) => {
      const body = await readPage(query, (after, limit) => executions.list(principal.userId, after, limit), executionSummaryView);
      return { status: 200, body };
    },
  });

  route({
    method: 'get',
    path: '/v1/executions/:id',
    operationId: 'getExecution',
    summary: 'One of your runs, with its inputs and output',
    description:
      'After expiry (or your early deletion) the whole record is gone: 410 `execution_expired` when your ledger still names the run (it held or charged credits), else 404.',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    responses: { 200: Execution },
    errors: ['not_found', 'execution_expired'],
    handler: async ({ principal, params }) => ({ status: 200, body: await executionView(dataKeys, await executions.getOwn(principal.userId, params.id)) }),
  });
}

function registerExecutionDeletion(route: RouteRegistrar, executions: ExecutionService) {
  route({
    method: 'delete',
    path: '/v1/executions/:id',
    operationId: 'deleteExecutionData',
    summary: 'Delete a finished run now, before its expiry: the whole record goes, as at expiry',
    description: 'Only the ledger\'s financial entries outlive it. A run already deleted answers as `getExecution` does (410 or 404).',
    tags: ['executions'],
    access: 'user',
    params: idParams,
    responses: { 204: null },
    errors: ['not_found', 'execution_running', 'execution_expired'],
    handler: async ({ principal, params }) => {
      await executions.deleteData(principal.userId, params.id);
      return { status: 204 };
    },
  });
}
