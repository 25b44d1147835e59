// Breach response over HTTP (API.md "Staff"): incident responders start an
// incident and steer its saga; the DPO reads it too and may confirm the
// authority report. Each signal answers 202 with the status as it stands; the
// saga applies the signal within moments (GET shows the result).
import type { RouteRegistrar } from '../api/router';
import { idParams } from '../api/params';
import type { IncidentControl } from './control';
import { AddAffectedUsersBody, AuthorityReportBody, ConfirmReportBody, IncidentStarted, IncidentStatusBody, RetractBody, StartIncidentBody, UpdateScopeBody } from './schemas';

const RESPONDERS = ['incident_responder'] as const;
const RESPONDERS_AND_DPO = ['incident_responder', 'dpo'] as const;

export function registerIncidentRoutes(route: RouteRegistrar, control: IncidentControl) {
  route({
    method: 'post',
    path: '/v1/incidents',
    operationId: 'startIncident',
    summary: 'Start the breach-response saga for an incident (incident responder)',
    description:
      'Records the incident in the breach register and starts its workflow: affected users are resolved and notified, the authority report is prepared, ' +
      'escalations go out at BREACH_ESCALATIONS, and the deadline is discoveredAt + BREACH_NOTIFY_DEADLINE. See docs/INCIDENT_RUNBOOK.md.',
    tags: ['staff'],
    access: RESPONDERS,
    body: StartIncidentBody,
    responses: { 201: { schema: IncidentStarted, description: 'Recorded; the saga runs' } },
    errors: ['discovered_in_future'],
    handler: async ({ body }) => ({ status: 201, body: await control.start(body) }),
  });

  route({
    method: 'get',
    path: '/v1/incidents/:id',
    operationId: 'getIncident',
    summary: "An incident's status: deadline, hours left, notices, authority report, escalations (incident responder, DPO)",
    tags: ['staff'],
    access: RESPONDERS_AND_DPO,
    params: idParams,
    responses: { 200: IncidentStatusBody },
    errors: ['not_found'],
    handler: async ({ params }) => ({ status: 200, body: await control.status(params.id) }),
  });

  route({
    method: 'get',
    path: '/v1/incidents/:id/authority-report',
    operationId: 'getIncidentAuthorityReport',
    summary: 'The report to the supervisory authority, as it stands now, to download and submit (incident responder, DPO)',
    tags: ['staff'],
    access: RESPONDERS_AND_DPO,
    params: idParams,
    responses: { 200: AuthorityReportBody },
    errors: ['not_found'],
    handler: async ({ params }) => ({ status: 200, body: await control.authorityReport(params.id) }),
  });

  const signalRoute = (spec: {
    path: string;
    operationId: string;
    summary: string;
    body?: typeof AddAffectedUsersBody | typeof ConfirmReportBody | typeof RetractBody | typeof UpdateScopeBody;
    access: typeof RESPONDERS | typeof RESPONDERS_AND_DPO;
    errors: ('incident_closed' | 'incident_retracted' | 'incident_open_steps')[];
    send: (id: string, body: unknown) => Promise<void>;
  }) =>
    route({
      method: 'post',
      path: `/v1/incidents/:id/${spec.path}`,
      operationId: spec.operationId,
      summary: spec.summary,
      tags: ['staff'],
      access: spec.access,
      params: idParams,
      ...(spec.body ? { body: spec.body } : {}),
      responses: { 202: { schema: IncidentStatusBody, description: 'Sent to the saga, which applies it within moments; the status as it stood' } },
      errors: ['not_found', ...spec.errors],
      handler: async ({ params, body }) => {
        await spec.send(params.id, body);
        return { status: 202, body: await control.status(params.id) };
      },
    });

  signalRoute({
    path: 'affected-users',
    operationId: 'addIncidentAffectedUsers',
    summary: 'Add users to the incident; they are notified like the others (incident responder)',
    body: AddAffectedUsersBody,
    access: RESPONDERS,
    errors: ['incident_closed', 'incident_retracted'],
    send: (id, body) => control.addAffectedUsers(id, body),
  });
  signalRoute({
    path: 'authority-report',
    operationId: 'confirmIncidentAuthorityReport',
    summary: "Confirm a report was submitted to the authority, with the authority's reference; initial, then follow-ups (incident responder, DPO)",
    body: ConfirmReportBody,
    access: RESPONDERS_AND_DPO,
    errors: ['incident_closed'],
    send: (id, body) => control.confirmAuthorityReport(id, body),
  });
  signalRoute({
    path: 'retract',
    operationId: 'retractIncident',
    summary: 'Retract the incident: corrections to everyone notified, no further notices, offers closed (incident responder)',
    body: RetractBody,
    access: RESPONDERS,
    errors: ['incident_closed', 'incident_retracted'],
    send: (id, body) => control.retract(id, body),
  });
  signalRoute({
    path: 'scope',
    operationId: 'updateIncidentScope',
    summary: 'Re-assess: a new scope (users no longer in it get a correction) and/or new texts (everyone in scope gets the updated notice) (incident responder)',
    body: UpdateScopeBody,
    access: RESPONDERS,
    errors: ['incident_closed', 'incident_retracted'],
    send: (id, body) => control.updateScope(id, body),
  });
  signalRoute({
    path: 'close',
    operationId: 'closeIncident',
    summary: 'Close the incident: once everyone is notified and the initial report confirmed, or after a retraction (incident responder)',
    access: RESPONDERS,
    errors: ['incident_open_steps'],
    send: (id) => control.close(id),
  });
}
