// Incidents from the API's side: start the saga, read its status, and send it
// the responder's signals. What the saga must do is decided in the workflow;
// here each request is checked (the same zod schemas the workflow applies) and
// refused with a clear error when it cannot apply (unknown, closed, retracted).
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { PrismaClient } from '@prisma/client';
import { DomainError } from '../errors';
import { addAffectedUsersSignal, closeIncidentSignal, confirmAuthorityReportSignal, incidentWorkflowId, retractSignal, updateScopeSignal } from './contract';
import { AddAffectedUsers, ConfirmAuthorityReport, Retract, UpdateScope, describeIssues } from './inputs';
import { createIncidents, parseIncidentStart, type IncidentSettings } from './service';
import { incidentWorkflow } from './workflows';
import type { z } from 'zod';

function checked<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new DomainError('validation_failed', 'the request is not valid', describeIssues(parsed.error));
  return parsed.data;
}

export function createIncidentControl(deps: { prisma: PrismaClient; temporal: Client; taskQueue: string; settings: IncidentSettings }) {
  const { prisma, temporal } = deps;
  const incidents = createIncidents(prisma, deps.settings);

  /** The incident, if it is open to `what` (closed: nothing; retracted: only reports and closing). */
  async function open(id: string, what: 'any' | 'not_retracted') {
    const incident = await prisma.incident.findUnique({ where: { id } });
    if (!incident) throw new DomainError('not_found', 'no such incident');
    if (incident.closedAt) throw new DomainError('incident_closed', `incident ${id} is closed`);
    if (what === 'not_retracted' && incident.retractedAt) throw new DomainError('incident_retracted', `incident ${id} was retracted`);
    return temporal.workflow.getHandle(incident.workflowId);
  }

  return {
    /**
     * Records the incident (so it can be read at once) and starts its saga. The clock is
     * `discoveredAt` + BREACH_NOTIFY_DEADLINE, not this request's time.
     */
    async start(body: unknown): Promise<{ id: string; workflowId: string; notifyBy: string }> {
      const id = randomUUID();
      const input = { ...parseIncidentStart(body, Date.now()), id };
      const workflowId = incidentWorkflowId(id);
      const recorded = await incidents.record(input, workflowId, Date.now());
      try {
        await temporal.workflow.start(incidentWorkflow, { workflowId, taskQueue: deps.taskQueue, args: [input] });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          // No saga carries it: take the record back, so the responder's retry is the one incident.
          await prisma.incident.delete({ where: { id } });
          throw err;
        }
      }
      return { id, workflowId, notifyBy: recorded.notifyBy };
    },

    status: (id: string) => incidents.status(id, Date.now()),
    authorityReport: (id: string) => incidents.authorityReport(id, Date.now()),

    async addAffectedUsers(id: string, body: unknown) {
      const input = checked(AddAffectedUsers, body);
      await (await open(id, 'not_retracted')).signal(addAffectedUsersSignal, input);
    },
    async confirmAuthorityReport(id: string, body: unknown) {
      const input = checked(ConfirmAuthorityReport, body);
      await (await open(id, 'any')).signal(confirmAuthorityReportSignal, input);
    },
    async retract(id: string, body: unknown) {
      const input = checked(Retract, body);
      await (await open(id, 'not_retracted')).signal(retractSignal, input);
    },
    async updateScope(id: string, body: unknown) {
      const input = checked(UpdateScope, body);
      await (await open(id, 'not_retracted')).signal(updateScopeSignal, input);
    },
    async close(id: string) {
      const incident = await prisma.incident.findUnique({ where: { id } });
      if (!incident) throw new DomainError('not_found', 'no such incident');
      if (incident.closedAt) return;
      if (!(await incidents.closable(incident))) {
        throw new DomainError('incident_open_steps', `incident ${id} still has users waiting for a notice or an unconfirmed initial report`);
      }
      await temporal.workflow.getHandle(incident.workflowId).signal(closeIncidentSignal);
    },
  };
}

export type IncidentControl = ReturnType<typeof createIncidentControl>;
