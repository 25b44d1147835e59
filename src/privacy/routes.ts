// Privacy requests over HTTP: the user's own list, and the DPO's.
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import { notFound, type ErrorCode } from '../errors';
import { pageOf, pageQuery, readPage } from '../pagination';
import type { PrivacyRequestType } from '@prisma/client';
import type { PrivacyRequests } from './requests';
import { DpoListQuery, DpoPrivacyRequest, OpenForUserBody, PrivacyRequest } from './schemas';
import { dpoPrivacyRequestView, privacyRequestView } from './views';

/** Opens a request of one type for a user and starts its work; returns the request id. */
export type RequestStarter = (userId: string, options: { channel: 'api' | 'email'; openedBy: string }) => Promise<{ requestId: string }>;

export interface PrivacyRouteDeps {
  requests: PrivacyRequests;
  /** Whether a user account exists (the DPO may only open requests for existing users). */
  userExists: (userId: string) => Promise<boolean>;
  /** Types whose work a feature carries out (export, erasure); the others are recorded for the DPO to carry out. */
  starters: Partial<Record<PrivacyRequestType, RequestStarter>>;
  /** Adds what a request of some type shows beyond the common fields (e.g. an export's download link). */
  decorate?: (view: ReturnType<typeof privacyRequestView>) => Promise<ReturnType<typeof privacyRequestView> & { downloadUrl?: string; downloadExpiresAt?: Date }>;
  /** Error codes the starters may answer with, for the document. */
  starterErrors?: readonly ErrorCode[];
}

export function registerPrivacyRequestRoutes(route: RouteRegistrar, deps: PrivacyRouteDeps) {
  const { requests } = deps;
  const show = async (view: ReturnType<typeof privacyRequestView>) => (deps.decorate ? deps.decorate(view) : view);

  route({
    method: 'get',
    path: '/v1/privacy/requests',
    operationId: 'listPrivacyRequests',
    summary: 'Your privacy requests, newest first, with their due dates',
    tags: ['privacy'],
    access: 'user',
    query: pageQuery,
    responses: { 200: pageOf(PrivacyRequest) },
    handler: async ({ principal, query }) => ({
      status: 200,
      body: await readPage(query, (after, limit) => requests.list(principal.userId, after, limit), (row) => show(privacyRequestView(row))),
    }),
  });

  route({
    method: 'get',
    path: '/v1/privacy/requests/:id',
    operationId: 'getPrivacyRequest',
    summary: 'One of your privacy requests',
    tags: ['privacy'],
    access: 'user',
    params: idParams,
    responses: { 200: PrivacyRequest },
    errors: ['not_found'],
    handler: async ({ principal, params }) => ({ status: 200, body: await show(privacyRequestView(await requests.get(principal.userId, params.id))) }),
  });

  route({
    method: 'get',
    path: '/v1/admin/privacy-requests',
    operationId: 'listAllPrivacyRequests',
    summary: 'Every privacy request, or the overdue / at-risk ones (DPO)',
    tags: ['staff'],
    access: ['dpo'],
    query: DpoListQuery,
    responses: { 200: pageOf(DpoPrivacyRequest) },
    handler: async ({ query }) => ({
      status: 200,
      body: await readPage(query, (after, limit) => requests.listAll({ overdue: query.overdue, atRisk: query.atRisk }, after, limit), (row) =>
        dpoPrivacyRequestView(row),
      ),
    }),
  });

  route({
    method: 'post',
    path: '/v1/admin/privacy-requests',
    operationId: 'openPrivacyRequestForUser',
    summary: "Open a request on a user's behalf, e.g. one that arrived by email (DPO)",
    description:
      'Export and erasure requests start their workflow as if the user had asked (an erasure joins one already open); ' +
      'restriction, objection and rectification requests are recorded, due in 30 days, for the DPO to carry out.',
    tags: ['staff'],
    access: ['dpo'],
    body: OpenForUserBody,
    responses: { 201: DpoPrivacyRequest },
    errors: ['not_found', ...(deps.starterErrors ?? [])],
    handler: async ({ principal, body }) => {
      if (!(await deps.userExists(body.userId))) throw notFound('user');
      const options = { channel: body.channel, openedBy: `dpo:${principal.userId}` } as const;
      const starter = deps.starters[body.type];
      const id = starter ? (await starter(body.userId, options)).requestId : (await requests.open(body.userId, body.type, options)).id;
      const request = await requests.byId(id);
      if (!request) throw notFound('privacy request');
      return { status: 201, body: dpoPrivacyRequestView(request) };
    },
  });
}

export function registerDpoCompletionRoute(route: RouteRegistrar, requests: PrivacyRequests) {
  route({
    method: 'post',
    path: '/v1/admin/privacy-requests/:id/complete',
    operationId: 'completePrivacyRequest',
    summary: 'Mark a request the DPO carried out by hand (restriction, objection or rectification through staff) as completed (DPO)',
    tags: ['staff'],
    access: ['dpo'],
    params: idParams,
    responses: { 200: DpoPrivacyRequest },
    errors: ['not_found', 'conflict'],
    handler: async ({ params }) => {
      const request = await requests.completeByHand(params.id);
      return { status: 200, body: dpoPrivacyRequestView(request) };
    },
  });
}
