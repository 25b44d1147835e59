// The breach-response saga's side effects (./workflows.ts): each an idempotent
// step on the breach register (./service.ts) or a batch of mail (./delivery.ts).
// Only ids, counts and the responder's own inputs cross into the workflow's history.
import { heartbeat } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import type { Logger } from '../logger';
import { createProfiles } from '../accounts/profile';
import { parseEmailIndexKey } from '../accounts/email-index';
import type { MailService } from '../mail/service';
import { RESOLVE_BATCH_SIZE, type AffectedSelector, type DeliveryBatch, type ConfirmAuthorityReport, type IncidentStart, type UpdateScope } from './contract';
import { localCreditMonitoring, type CreditMonitoringProvider } from './credit-monitoring';
import { createIncidentDelivery, failureCode } from './delivery';
import { createIncidents, incidentSettings } from './service';

const HEARTBEAT_EVERY_MS = 5_000;

/** Runs `work` while heartbeating (a batch of SMTP sends can take a while; a dead worker is noticed in seconds). */
async function beating<T>(work: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export function createIncidentActivities(deps: {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  dataKeys: DataKeys;
  mail: MailService;
  creditMonitoring?: CreditMonitoringProvider;
}) {
  const { prisma, config, logger, dataKeys, mail } = deps;
  const emailIndexKey = parseEmailIndexKey(config.EMAIL_INDEX_KEY);
  const profiles = createProfiles(prisma, dataKeys, emailIndexKey);
  const incidents = createIncidents(prisma, incidentSettings(config));
  const delivery = createIncidentDelivery({ prisma, dataKeys, profiles, mail, creditMonitoring: deps.creditMonitoring ?? localCreditMonitoring(emailIndexKey) });

  return {
    recordIncident: async (input: IncidentStart & { id: string }, workflowId: string, now: number) => {
      const recorded = await incidents.record(input, workflowId, now);
      logger.info({ incidentId: recorded.id, notifyBy: recorded.notifyBy }, 'incident recorded');
      return recorded;
    },
    resolveAffectedUsers: (incidentId: string, selector: AffectedSelector, after: string | null) => incidents.resolveBatch(incidentId, selector, after, RESOLVE_BATCH_SIZE),
    finishIncidentResolution: (incidentId: string) => incidents.finishResolution(incidentId),
    addIncidentUsers: (incidentId: string, userIds: string[]) => incidents.addAffectedUsers(incidentId, userIds),
    markAuthorityReportPrepared: (incidentId: string) => incidents.markReportPrepared(incidentId),
    /**
     * One batch of pass `pass`: notices first, then (once no notice of the pass is left) corrections;
     * with the status once the pass is over, so a quiet pass costs the history one activity.
     * `notices: false` once the saga gave up on failing deliveries (corrections still go).
     */
    deliverIncidentMail: (incidentId: string, pass: number, now: number, options: { notices: boolean }): Promise<DeliveryBatch> =>
      beating(async () => {
        const notices = options.notices ? await delivery.notifyBatch(incidentId, pass) : { sent: 0, failed: 0, more: false };
        if (notices.more) return { ...notices, status: null };
        const corrections = await delivery.correctionBatch(incidentId, pass);
        return {
          sent: notices.sent + corrections.sent,
          failed: notices.failed + corrections.failed,
          more: corrections.more,
          status: corrections.more ? null : await incidents.status(incidentId, now),
        };
      }),
    incidentStatus: (incidentId: string, now: number) => incidents.status(incidentId, now),
    confirmIncidentReport: (incidentId: string, report: ConfirmAuthorityReport, now: number) => incidents.confirmReport(incidentId, report, now),
    updateIncidentScope: (incidentId: string, update: UpdateScope) => incidents.updateScope(incidentId, update),
    retractIncident: (incidentId: string, reason: string) => incidents.retract(incidentId, reason),
    closeIncident: (incidentId: string) => incidents.close(incidentId),
    recordIncidentDeadline: async (incidentId: string) => {
      const outcome = await incidents.recordDeadline(incidentId);
      const missed = Object.entries(outcome).filter(([, o]) => !o.met);
      if (missed.length) logger.error({ incidentId, missed }, 'incident deadline passed with steps not done');
      return outcome;
    },
    recordIncidentFailure: (incidentId: string, step: string, reason: string, at: string) => incidents.recordFailure(incidentId, step, reason, at),

    /** Mails every incident responder and DPO what is not done at an escalation point (once per point). */
    async escalateIncident(incidentId: string, label: string, at: string): Promise<{ pending: string[]; mailed: number } | null> {
      const escalation = await incidents.escalate(incidentId, label, at);
      if (!escalation) return null;
      const incident = await prisma.incident.findUniqueOrThrow({ where: { id: incidentId } });
      let mailed = 0;
      for (const staffId of escalation.recipients) {
        const staff = await prisma.user.findUniqueOrThrow({ where: { id: staffId } });
        const { email } = await profiles.open(staff);
        const data = { incidentId, title: incident.title, label, pending: escalation.pending.join(', '), notifyBy: incident.notifyBy.toISOString() };
        const id = await mail.enqueue({ userId: staffId, purpose: 'incident_escalation', dedupeKey: `${incidentId}:${label}`, recipient: email, data });
        try {
          if ((await mail.send(id)) === 'sent') mailed += 1;
        } catch (err) {
          logger.warn({ error: failureCode(err), incidentId, label }, 'an escalation mail failed: the outbox schedule retries it');
        }
      }
      logger.warn({ incidentId, label, pending: escalation.pending, mailed }, 'incident escalated');
      return { pending: escalation.pending, mailed };
    },
  };
}
