// The incident routes' bodies and answers, as the OpenAPI document states them.
// The service checks every body again with the saga's own schema
// (./inputs.ts, the one the workflow applies to a start from the CLI or the
// Temporal UI), so the three ways in accept exactly the same input.
import { z, text } from '../zod';
import { BREACH_TYPES, MAX_USER_IDS, selectorErrors } from './inputs';

const uuid = () => z.string().uuid();
const instant = (description: string) =>
  z.string().datetime({ offset: true }).openapi({ format: 'date-time', description, example: '2026-11-28T09:30:00Z' });
const categories = () => z.array(text({ min: 1, max: 100, trim: true })).min(1).max(50).openapi({ example: ['email addresses', 'names'] });
const prose = (description: string) => text({ min: 1, max: 10_000, trim: true }).openapi({ description });

export const AffectedSelectorBody = z
  .union([
    z.object({ userIds: z.array(uuid()).min(1).max(MAX_USER_IDS) }).strict().openapi({ title: 'Listed users' }),
    z
      .object({ toolId: uuid(), from: instant('start of the period'), to: instant('end of the period (not before from)') })
      .strict()
      .openapi({ title: 'Users who ran a tool in a period' }),
    z.object({ providerKeysExistingAt: instant('users whose BYOM key existed at this instant') }).strict().openapi({ title: 'Users with a BYOM key at an instant' }),
    z.object({ all: z.literal(true) }).strict().openapi({ title: 'All users' }),
  ], { errorMap: selectorErrors })
  .openapi('AffectedSelector');

export const StartIncidentBody = z
  .object({
    title: text({ min: 1, max: 200, trim: true }),
    description: prose('what happened, in plain language (users read it): name no one'),
    discoveredAt: instant('when the breach was discovered: the 72-hour clock starts here; not in the future'),
    breachType: z.enum(BREACH_TYPES),
    dataCategories: categories(),
    personalDataExposed: z.boolean().openapi({ description: 'true: each affected user is offered credit monitoring' }),
    affected: AffectedSelectorBody,
    measuresTaken: prose('what the platform did and will do (default: a plain standard text)').optional(),
    likelyConsequences: prose('likely consequences for the people affected (default: by breach type)').optional(),
    userActions: prose('what users can do to protect themselves (default: a plain standard text)').optional(),
  })
  .strict()
  .openapi('StartIncident');

export const IncidentStarted = z
  .object({
    id: uuid(),
    workflowId: z.string(),
    notifyBy: z.string().openapi({ format: 'date-time', description: 'discoveredAt + BREACH_NOTIFY_DEADLINE' }),
  })
  .openapi('IncidentStarted');

const Outcome = z.object({ met: z.boolean(), reason: z.string().optional() });

export const IncidentStatusBody = z
  .object({
    id: uuid(),
    workflowId: z.string(),
    status: z.enum(['recording', 'resolving', 'notifying', 'waiting', 'retracted', 'closed']),
    discoveredAt: z.string().openapi({ format: 'date-time' }),
    notifyBy: z.string().openapi({ format: 'date-time' }),
    hoursLeft: z.number().openapi({ description: 'hours until notifyBy, negative once past' }),
    version: z.number().int().openapi({ description: 'the notice content version (raised by a re-assessment that changes what users are told)' }),
    affected: z.object({ total: z.number().int(), notified: z.number().int(), failed: z.number().int(), pending: z.number().int(), corrected: z.number().int() }),
    offers: z.object({ issued: z.number().int(), closed: z.number().int() }),
    authorityReport: z.object({
      status: z.enum(['pending', 'prepared', 'submitted']),
      reference: z.string().optional(),
      phases: z.array(z.object({ phase: z.string(), reference: z.string(), submittedAt: z.string().openapi({ format: 'date-time' }) })),
    }),
    escalations: z.array(z.object({ at: z.string().openapi({ format: 'date-time' }), label: z.string(), to: z.array(z.string()), pending: z.array(z.string()) })),
    retracted: z.boolean(),
    deadline: z.record(Outcome).nullable().openapi({ description: 'set at notifyBy: per step, met or not and why' }),
    failures: z.array(z.object({ at: z.string().openapi({ format: 'date-time' }), step: z.string(), reason: z.string() })),
  })
  .openapi('IncidentStatus');

export const AddAffectedUsersBody = z.object({ userIds: z.array(uuid()).min(1).max(MAX_USER_IDS) }).strict().openapi('AddAffectedUsers');
export const ConfirmReportBody = z
  .object({ reference: text({ min: 1, max: 200, trim: true }).openapi({ description: "the authority's reference for the submission" }), phase: z.enum(['initial', 'follow_up']) })
  .strict()
  .openapi('ConfirmAuthorityReport');
export const RetractBody = z.object({ reason: text({ min: 1, max: 2_000, trim: true }) }).strict().openapi('RetractIncident');
export const UpdateScopeBody = z
  .object({
    affected: AffectedSelectorBody.optional(),
    description: prose('what happened, as now assessed').optional(),
    dataCategories: categories().optional(),
    personalDataExposed: z.boolean().optional(),
    measuresTaken: prose('what the platform did and will do').optional(),
    likelyConsequences: prose('likely consequences').optional(),
    userActions: prose('what users can do').optional(),
  })
  .strict()
  .openapi('UpdateIncidentScope');

export const AuthorityReportBody = z
  .object({ incidentId: uuid(), phase: z.enum(['initial', 'follow_up']) })
  .passthrough()
  .openapi('AuthorityReport', { description: 'The report to the supervisory authority (GDPR Art. 33(3)); see docs/INCIDENT_RUNBOOK.md for every field' });
