// Support access over HTTP (API.md "Staff"): support staff read a user's runs
// with a stated reason (X-Access-Reason); every access is audited; the DPO lists
// the audit.
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import type { DataKeys } from '../crypto/data-keys';
import { Execution, ExecutionSummary } from '../executions/schemas';
import { executionSummaryView, executionView } from '../executions/views';
import { pageOf, pageQuery, readPage } from '../pagination';
import { accessReason, MAX_REASON_CHARS, type SupportService } from './service';
import { AuditQuery, SupportAccess } from './schemas';

const REASON_HEADER = {
  'X-Access-Reason': { description: `why you need this user's data (1 to ${MAX_REASON_CHARS} characters, one line): written to the audit the user sees in their export`, required: true },
};

export function registerSupportRoutes(route: RouteRegistrar, support: SupportService, dataKeys: DataKeys) {
  route({
    method: 'get',
    path: '/v1/support/users/:id/executions',
    operationId: 'supportListUserExecutions',
    summary: "A user's runs, newest first, for troubleshooting (support; X-Access-Reason required; audited)",
    tags: ['staff'],
    access: ['support'],
    params: idParams,
    query: pageQuery,
    headers: REASON_HEADER,
    responses: { 200: pageOf(ExecutionSummary) },
    errors: ['not_found', 'access_reason_required'],
    handler: async ({ principal, params, query, req }) => {
      const reason = accessReason(req.headers['x-access-reason']);
      return { status: 200, body: await readPage(query, (after, limit) => support.listExecutions(principal.userId, params.id, reason, after, limit), executionSummaryView) };
    },
  });

  route({
    method: 'get',
    path: '/v1/support/executions/:id',
    operationId: 'supportGetExecution',
    summary: 'One run with its inputs and output, for troubleshooting (support; X-Access-Reason required; audited)',
    tags: ['staff'],
    access: ['support'],
    params: idParams,
    headers: REASON_HEADER,
    responses: { 200: Execution },
    errors: ['not_found', 'access_reason_required'],
    handler: async ({ principal, params, req }) => {
      const reason = accessReason(req.headers['x-access-reason']);
      return { status: 200, body: await executionView(dataKeys, await support.readExecution(principal.userId, params.id, reason)) };
    },
  });

  route({
    method: 'get',
    path: '/v1/admin/support-access',
    operationId: 'listSupportAccess',
    summary: "Every support access to users' runs, newest first, or one user's (DPO)",
    tags: ['staff'],
    access: ['dpo'],
    query: AuditQuery,
    responses: { 200: pageOf(SupportAccess) },
    handler: async ({ query }) => ({ status: 200, body: await readPage(query, (after, limit) => support.listAudit(query.userId, after, limit), (row) => row) }),
  });
}
