// The breach register and the saga's steps on it (SPEC feature 10): record an
// incident, resolve its scope, prepare and confirm the authority report,
// escalate what is not done, record the deadline's outcome, re-assess
// (update the scope, retract) and close. The workflow (./workflows.ts) calls
// these through activities; the API reads the status and starts the workflow.
// Every step is idempotent: unique keys and conditional updates in Postgres.
import { randomUUID } from 'node:crypto';
import { Prisma, type Incident, type PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import { DomainError } from '../errors';
import { DISCOVERY_SKEW_MS, incidentWorkflowId, type AffectedSelector, type ConfirmAuthorityReport, type IncidentStatus, type IncidentStep, type RecordedIncident, type ResolveBatch, type StepOutcome, type UpdateScope } from './contract';
import { IncidentStart, describeIssues } from './inputs';
import { DEFAULT_MEASURES, DEFAULT_USER_ACTIONS, likelyConsequences } from './notice';
import { dropOutOfScope, recordsInvolved, resolveBatch, storedScope, type StoredScope } from './scope';

export interface IncidentSettings {
  notifyDeadlineMs: number;
  continueAsNewAfterEvents: number;
  escalations: { label: string; afterMs: number }[];
  /** The data protection team's contact, in notices and reports. */
  contact: string;
}

/** The settings from the configuration (BREACH_NOTIFY_DEADLINE, BREACH_ESCALATIONS, DPO_CONTACT). */
export const incidentSettings = (config: Pick<Config, 'BREACH_NOTIFY_DEADLINE' | 'BREACH_ESCALATIONS' | 'BREACH_CONTINUE_AS_NEW_EVENTS' | 'DPO_CONTACT'>): IncidentSettings => ({
  notifyDeadlineMs: config.BREACH_NOTIFY_DEADLINE,
  continueAsNewAfterEvents: config.BREACH_CONTINUE_AS_NEW_EVENTS,
  escalations: config.BREACH_ESCALATIONS,
  contact: config.DPO_CONTACT,
});

const ESCALATE_TO = ['incident_responder', 'dpo'] as const;
const HOUR = 3_600_000;

/** Checks a start input as the workflow does (zod), and that discovery is not in the future. */
export function parseIncidentStart(raw: unknown, now: number): IncidentStart {
  const parsed = IncidentStart.safeParse(raw);
  if (!parsed.success) throw new DomainError('validation_failed', 'the incident input is not valid', describeIssues(parsed.error));
  if (Date.parse(parsed.data.discoveredAt) > now + DISCOVERY_SKEW_MS) throw new DomainError('discovered_in_future', `discoveredAt ${parsed.data.discoveredAt} is in the future`);
  return parsed.data;
}

type Counts = IncidentStatus['affected'] & { offersIssued: number; offersClosed: number };

async function countRecipients(db: PrismaClient | Prisma.TransactionClient, incident: Incident): Promise<Counts> {
  const [row] = await db.$queryRaw<Record<string, bigint>[]>`
    SELECT count(*) FILTER (WHERE in_scope) AS in_scope,
           count(*) FILTER (WHERE in_scope AND notice_version = ${incident.version}) AS notified,
           count(*) FILTER (WHERE in_scope AND notice_version IS DISTINCT FROM ${incident.version} AND last_error IS NOT NULL) AS failed,
           count(*) FILTER (WHERE notice_version IS NOT NULL) AS ever_notified,
           count(*) AS everyone,
           count(*) FILTER (WHERE corrected_at IS NOT NULL) AS corrected,
           count(*) FILTER (WHERE offer_issued_at IS NOT NULL) AS offers_issued,
           count(*) FILTER (WHERE offer_closed_at IS NOT NULL) AS offers_closed
    FROM incident_recipients WHERE incident_id = ${incident.id}::uuid`;
  const n = (k: string) => Number(row?.[k] ?? 0);
  const common = { corrected: n('corrected'), offersIssued: n('offers_issued'), offersClosed: n('offers_closed') };
  // Retracted: everyone who was in scope counts, and nothing is pending any more.
  if (incident.retractedAt) return { total: n('everyone'), notified: n('ever_notified'), failed: 0, pending: 0, ...common };
  const total = n('in_scope');
  const notified = n('notified');
  const failed = n('failed');
  return { total, notified, failed, pending: total - notified - failed, ...common };
}

export function createIncidents(prisma: PrismaClient, settings: IncidentSettings) {
  const byId = async (id: string) => {
    const incident = await prisma.incident.findUnique({ where: { id } });
    if (!incident) throw new DomainError('not_found', 'no such incident');
    return incident;
  };

  const recorded = (incident: Incident): RecordedIncident => ({
    id: incident.id,
    notifyBy: incident.notifyBy.toISOString(),
    escalations: settings.escalations.map(({ label, afterMs }) => ({ label, at: new Date(incident.discoveredAt.getTime() + afterMs).toISOString() })),
    continueAsNewAfterEvents: settings.continueAsNewAfterEvents,
  });

  /** The steps not done now (what an escalation names, and what the deadline records as missed). */
  async function openSteps(incident: Incident): Promise<{ steps: IncidentStep[]; counts: Counts; initialReport: boolean }> {
    const counts = await countRecipients(prisma, incident);
    const initialReport = (await prisma.incidentReport.count({ where: { incidentId: incident.id, phase: 'initial' } })) > 0;
    const steps: IncidentStep[] = [];
    if (!incident.retractedAt && (!incident.resolvedAt || counts.pending + counts.failed > 0)) steps.push('notify_users');
    if (!initialReport) steps.push('authority_report');
    if (!incident.retractedAt && incident.personalDataExposed && counts.offersIssued - counts.offersClosed < counts.total) steps.push('credit_monitoring');
    const uncorrected = await prisma.incidentRecipient.count({ where: { incidentId: incident.id, inScope: false, noticeVersion: { not: null }, correctedAt: null } });
    if (uncorrected > 0) steps.push('corrections');
    return { steps, counts, initialReport };
  }

  /** Retracted, or: nobody waits for a notice (or the saga gave up on them, recorded in `failures`) and the initial report is confirmed. */
  async function closable(incident: Incident): Promise<boolean> {
    if (incident.retractedAt) return true;
    const { steps } = await openSteps(incident);
    const gaveUp = (incident.failures as { step: string }[]).some((f) => f.step === 'notify_users');
    return !(steps.includes('notify_users') && !gaveUp) && !steps.includes('authority_report');
  }

  async function status(id: string, now: number): Promise<IncidentStatus> {
    const incident = await byId(id);
    const [counts, reports, escalations] = await Promise.all([
      countRecipients(prisma, incident),
      prisma.incidentReport.findMany({ where: { incidentId: id }, orderBy: { submittedAt: 'asc' } }),
      prisma.incidentEscalation.findMany({ where: { incidentId: id }, orderBy: { at: 'asc' } }),
    ]);
    const initial = reports.find((r) => r.phase === 'initial');
    const { offersIssued, offersClosed, ...affected } = counts;
    return {
      id,
      workflowId: incident.workflowId,
      status: incident.closedAt ? 'closed' : incident.retractedAt ? 'retracted' : !incident.resolvedAt ? 'resolving' : affected.pending + affected.failed > 0 ? 'notifying' : 'waiting',
      discoveredAt: incident.discoveredAt.toISOString(),
      notifyBy: incident.notifyBy.toISOString(),
      hoursLeft: Math.round(((incident.notifyBy.getTime() - now) / HOUR) * 10) / 10,
      version: incident.version,
      affected,
      offers: { issued: offersIssued, closed: offersClosed },
      authorityReport: {
        status: initial ? 'submitted' : incident.reportPreparedAt ? 'prepared' : 'pending',
        ...(initial ? { reference: reports[reports.length - 1]!.reference } : {}),
        phases: reports.map((r) => ({ phase: r.phase, reference: r.reference, submittedAt: r.submittedAt.toISOString() })),
      },
      escalations: escalations.map((e) => ({ at: e.at.toISOString(), label: e.label, to: e.to, pending: e.pending })),
      retracted: incident.retractedAt !== null,
      deadline: (incident.deadlineOutcome as Record<string, StepOutcome> | null) ?? null,
      failures: incident.failures as IncidentStatus['failures'],
    };
  }

  return {
    status,
    openSteps,

    /**
     * Records the incident in the breach register (once: the id is the key) and answers what the
     * workflow needs to time itself. `workflowId` is the saga that carries it out.
     */
    async record(input: IncidentStart & { id: string }, workflowId: string, now: number): Promise<RecordedIncident> {
      const start = parseIncidentStart(input, now);
      const discoveredAt = new Date(start.discoveredAt);
      await prisma.incident.createMany({
        data: [
          {
            id: input.id,
            workflowId,
            title: start.title,
            description: start.description,
            breachType: start.breachType,
            dataCategories: start.dataCategories,
            personalDataExposed: start.personalDataExposed,
            scope: storedScope(start.affected) as Prisma.InputJsonValue,
            measuresTaken: start.measuresTaken ?? DEFAULT_MEASURES,
            likelyConsequences: start.likelyConsequences ?? '',
            userActions: start.userActions ?? DEFAULT_USER_ACTIONS,
            discoveredAt,
            notifyBy: new Date(discoveredAt.getTime() + settings.notifyDeadlineMs),
          },
        ],
        skipDuplicates: true,
      });
      const incident = await byId(input.id);
      if (incident.workflowId !== workflowId) throw new DomainError('incident_exists', `incident ${input.id} is carried out by ${incident.workflowId}`);
      return recorded(incident);
    },

    /** Resolves the next batch of the scope into the register's recipients (see ./scope). */
    async resolveBatch(id: string, selector: AffectedSelector, after: string | null, limit: number): Promise<ResolveBatch> {
      const incident = await byId(id);
      return resolveBatch(prisma, id, selector, incident.scopeGeneration, after, limit);
    },

    /** The scope is resolved: whoever the current generation did not name is out of scope. */
    async finishResolution(id: string): Promise<void> {
      const incident = await byId(id);
      await dropOutOfScope(prisma, id, incident.scopeGeneration);
      await prisma.incident.update({ where: { id }, data: { resolvedAt: incident.resolvedAt ?? new Date() } });
    },

    /** Adds users to the scope (an explicit list from a responder). */
    async addAffectedUsers(id: string, userIds: string[]): Promise<number> {
      const incident = await byId(id);
      const batch = await resolveBatch(prisma, id, { userIds }, incident.scopeGeneration, null, userIds.length);
      return batch.added;
    },

    async markReportPrepared(id: string): Promise<void> {
      await prisma.incident.updateMany({ where: { id, reportPreparedAt: null }, data: { reportPreparedAt: new Date() } });
    },

    /**
     * The report to the supervisory authority (GDPR Art. 33(3)): the nature of the breach, the
     * categories and approximate numbers of people and records, the contact point, the likely
     * consequences and the measures taken or proposed; the reasons for any delay (Art. 33(1)).
     */
    async authorityReport(id: string, now: number) {
      const incident = await byId(id);
      const [counts, reports, records] = await Promise.all([
        countRecipients(prisma, incident),
        prisma.incidentReport.findMany({ where: { incidentId: id }, orderBy: { submittedAt: 'asc' } }),
        recordsInvolved(prisma, id, incident.scope as StoredScope),
      ]);
      const late = now > incident.notifyBy.getTime() && !reports.some((r) => r.phase === 'initial');
      return {
        incidentId: id,
        phase: reports.some((r) => r.phase === 'initial') ? 'follow_up' : 'initial',
        preparedAt: new Date(now).toISOString(),
        controller: { name: 'Sotally', contactPoint: settings.contact },
        nature: { breachType: incident.breachType, title: incident.title, description: incident.description },
        discoveredAt: incident.discoveredAt.toISOString(),
        notifyBy: incident.notifyBy.toISOString(),
        dataCategories: incident.dataCategories,
        personalDataExposed: incident.personalDataExposed,
        peopleAffected: { approximate: counts.total, categories: ['platform users (account holders)'] },
        recordsAffected: { approximate: records.count, basis: records.basis },
        likelyConsequences: likelyConsequences(incident),
        measuresTaken: incident.measuresTaken,
        usersNotified: { notified: counts.notified, pending: counts.pending, failed: counts.failed, corrected: counts.corrected },
        creditMonitoring: { offered: incident.personalDataExposed, issued: counts.offersIssued, closed: counts.offersClosed },
        retracted: incident.retractedAt ? { at: incident.retractedAt.toISOString(), reason: incident.retractReason } : null,
        previousSubmissions: reports.map((r) => ({ phase: r.phase, reference: r.reference, submittedAt: r.submittedAt.toISOString() })),
        ...(late ? { delayReason: 'the initial report was not confirmed as submitted within the deadline; the responder must state the reasons for the delay (Art. 33(1))' } : {}),
      };
    },

    /** The responder submitted a report to the authority: recorded with its reference and the document as it was (once per reference). */
    async confirmReport(id: string, report: ConfirmAuthorityReport, now: number): Promise<void> {
      const document = await this.authorityReport(id, now);
      await prisma.incidentReport.createMany({
        data: [{ id: randomUUID(), incidentId: id, phase: report.phase, reference: report.reference, document: document as unknown as Prisma.InputJsonValue }],
        skipDuplicates: true,
      });
    },

    /**
     * At an escalation point: when steps are not done, mails every incident responder and DPO
     * (dedupe key: incident and point) and records the escalation. Null when all is done.
     */
    async escalate(id: string, label: string, at: string): Promise<{ pending: IncidentStep[]; recipients: string[] } | null> {
      const incident = await byId(id);
      if (incident.closedAt) return null;
      const { steps } = await openSteps(incident);
      if (steps.length === 0) return null;
      await prisma.incidentEscalation.createMany({ data: [{ incidentId: id, label, at: new Date(at), to: [...ESCALATE_TO], pending: steps }], skipDuplicates: true });
      const staff = await prisma.user.findMany({ where: { roles: { hasSome: [...ESCALATE_TO] }, erasureStartedAt: null }, select: { id: true } });
      return { pending: steps, recipients: staff.map((s) => s.id) };
    },

    /** At the deadline: per step, met or not and why; the counts go into the register. */
    async recordDeadline(id: string): Promise<Record<string, StepOutcome>> {
      const incident = await byId(id);
      const { steps, counts } = await openSteps(incident);
      const reasons: Record<IncidentStep, string> = {
        notify_users: `${counts.pending + counts.failed} of ${counts.total} affected users not notified (${counts.failed} with failed deliveries, retried until they succeed or the incident is closed)`,
        authority_report: 'the responder had not confirmed that the report was submitted to the supervisory authority',
        credit_monitoring: `${counts.total - (counts.offersIssued - counts.offersClosed)} affected users without a credit-monitoring offer`,
        corrections: 'corrections to users who were notified and then found not affected are still being sent',
      };
      const outcome: Record<string, StepOutcome> = {};
      const applicable: IncidentStep[] = ['notify_users', 'authority_report', ...(incident.personalDataExposed && !incident.retractedAt ? (['credit_monitoring'] as const) : []), 'corrections'];
      for (const step of applicable) outcome[step] = steps.includes(step) ? { met: false, reason: reasons[step] } : { met: true };
      await prisma.incident.update({
        where: { id },
        data: { deadlineOutcome: outcome as unknown as Prisma.InputJsonValue, affectedCount: counts.total, notifiedCount: counts.notified, offersIssued: counts.offersIssued },
      });
      return outcome;
    },

    /**
     * A re-assessment: new texts and/or a new scope. A change to what users are told raises the
     * notice's version (everyone in scope is told again); a new scope raises the scope generation,
     * which the workflow then resolves. Returns whether a new scope must be resolved.
     */
    async updateScope(id: string, update: UpdateScope): Promise<{ rescope: boolean }> {
      const incident = await byId(id);
      if (incident.retractedAt || incident.closedAt) return { rescope: false };
      const { affected, ...texts } = update;
      const changed = Object.entries(texts).some(([key, value]) => JSON.stringify(incident[key as keyof Incident]) !== JSON.stringify(value));
      await prisma.incident.update({
        where: { id },
        data: {
          ...texts,
          ...(changed ? { version: { increment: 1 } } : {}),
          ...(affected ? { scopeGeneration: { increment: 1 }, scope: storedScope(affected) as Prisma.InputJsonValue, resolvedAt: null } : {}),
        },
      });
      return { rescope: affected !== undefined };
    },

    /** Retraction: no further notices; everyone in scope goes out of it, so those told get a correction. */
    async retract(id: string, reason: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM incidents WHERE id = ${id}::uuid AND retracted_at IS NULL FOR UPDATE`;
        if (!row) return;
        await tx.incident.update({ where: { id }, data: { retractedAt: new Date(), retractReason: reason, scopeGeneration: { increment: 1 } } });
        await tx.incidentRecipient.updateMany({ where: { incidentId: id, inScope: true }, data: { inScope: false } });
      });
    },

    closable,

    /** Closes the incident, unless users still wait for a notice or the initial report is unconfirmed (and it was not retracted). */
    async close(id: string): Promise<'closed' | 'open_steps'> {
      const incident = await byId(id);
      if (incident.closedAt) return 'closed';
      if (!(await closable(incident))) return 'open_steps';
      const { counts } = await openSteps(incident);
      await prisma.incident.update({ where: { id }, data: { closedAt: new Date(), affectedCount: counts.total, notifiedCount: counts.notified, offersIssued: counts.offersIssued } });
      return 'closed';
    },

    /** What the saga could not do, kept in the register. */
    async recordFailure(id: string, step: string, reason: string, at: string): Promise<void> {
      await prisma.$executeRaw`UPDATE incidents SET failures = failures || ${JSON.stringify([{ at, step, reason }])}::jsonb WHERE id = ${id}::uuid`;
    },

    workflowIdOf: incidentWorkflowId,
  };
}

export type Incidents = ReturnType<typeof createIncidents>;
