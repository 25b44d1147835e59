// The breach-response feature's Temporal contract: the one input an incident
// starts from (the API, `npm run incident -- start <file>` and `temporal
// workflow start` / the Temporal UI all send the same JSON, and the workflow
// checks it again with this zod schema), its signals, its query and the
// status they all show. Pure TypeScript and plain zod: bundled into workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';

/** One workflow per incident. */
export const incidentWorkflowId = (incidentId: string) => `incident-${incidentId}`;

/** The incident id a workflow id names (`incident-<uuid>`), for a start from the Temporal UI whose input has no id. */
export const incidentIdOf = (workflowId: string): string | undefined =>
  /^incident-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(workflowId)?.[1]?.toLowerCase();

const uuid = z.string().uuid();
const instant = z.string().datetime({ offset: true });
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'no NUL characters');

/** Explicit user ids per start or signal: 2,000 ids fit the API's 100 kB body limit (more: repeat add-affected-users, or a selector). */
export const MAX_USER_IDS = 2_000;

/** How the affected users are found: listed, or a rule the database resolves in batches. */
export const SELECTORS = 'one of {"userIds": [...]}, {"toolId", "from", "to"}, {"providerKeysExistingAt"} or {"all": true}';
/** A selector that matches none of the four shapes says which shapes there are. */
export const selectorErrors: z.ZodErrorMap = (issue, ctx) => ({ message: issue.code === 'invalid_union' ? `not a selector: use ${SELECTORS}` : ctx.defaultError });
export const AffectedSelector = z.union(
  [
    z.object({ userIds: z.array(uuid).min(1).max(MAX_USER_IDS) }).strict(),
    z
      .object({ toolId: uuid, from: instant, to: instant })
      .strict()
      .refine((s) => Date.parse(s.from) <= Date.parse(s.to), { message: 'from must not be after to', path: ['to'] }),
    z.object({ providerKeysExistingAt: instant }).strict(),
    z.object({ all: z.literal(true) }).strict(),
  ],
  { errorMap: selectorErrors },
);
export type AffectedSelector = z.infer<typeof AffectedSelector>;

export const BREACH_TYPES = ['confidentiality', 'integrity', 'availability'] as const;

/** What a responder writes; the optional texts have plain defaults (src/incidents/notice.ts). */
export const IncidentStart = z
  .object({
    /** Set by the API and the CLI; a start from the Temporal UI may leave it out (the workflow makes one). */
    id: uuid.optional(),
    title: text(200),
    description: text(10_000),
    discoveredAt: instant,
    breachType: z.enum(BREACH_TYPES),
    dataCategories: z.array(text(100)).min(1).max(50),
    personalDataExposed: z.boolean(),
    affected: AffectedSelector,
    /** What the platform did and will do (notice and authority report). */
    measuresTaken: text(10_000).optional(),
    /** The likely consequences for the people affected (authority report, notice). */
    likelyConsequences: text(10_000).optional(),
    /** What users can do to protect themselves (notice). */
    userActions: text(10_000).optional(),
  })
  .strict();
export type IncidentStart = z.infer<typeof IncidentStart>;

/** Discovery may be at most this far ahead of the clock that checks it (clock skew between machines). */
export const DISCOVERY_SKEW_MS = 60_000;

/** The issues of an input, one line each ("discoveredAt: Required"), for a 400 or a workflow failure. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
}

// ---------------------------------------------------------------------------
// Signals: each carries JSON the workflow checks with these schemas (a bad one is logged and ignored).

export const AddAffectedUsers = z.object({ userIds: z.array(uuid).min(1).max(MAX_USER_IDS) }).strict();
export const ConfirmAuthorityReport = z.object({ reference: text(200), phase: z.enum(['initial', 'follow_up']) }).strict();
export const Retract = z.object({ reason: text(2_000) }).strict();
/** A re-assessment: a new scope and/or what users are told (a changed notice is sent again as a new version). */
export const UpdateScope = z
  .object({
    affected: AffectedSelector.optional(),
    description: text(10_000).optional(),
    dataCategories: z.array(text(100)).min(1).max(50).optional(),
    personalDataExposed: z.boolean().optional(),
    measuresTaken: text(10_000).optional(),
    likelyConsequences: text(10_000).optional(),
    userActions: text(10_000).optional(),
  })
  .strict()
  .refine((u) => Object.keys(u).length > 0, 'nothing to update');

export type AddAffectedUsers = z.infer<typeof AddAffectedUsers>;
export type ConfirmAuthorityReport = z.infer<typeof ConfirmAuthorityReport>;
export type Retract = z.infer<typeof Retract>;
export type UpdateScope = z.infer<typeof UpdateScope>;

export const addAffectedUsersSignal = defineSignal<[AddAffectedUsers]>('addAffectedUsers');
export const confirmAuthorityReportSignal = defineSignal<[ConfirmAuthorityReport]>('confirmAuthorityReport');
export const retractSignal = defineSignal<[Retract]>('retract');
export const updateScopeSignal = defineSignal<[UpdateScope]>('updateScope');
/** Ends the saga: refused (logged, ignored) while users wait for a notice or the initial report is unconfirmed, unless retracted. */
export const closeIncidentSignal = defineSignal('close');

// ---------------------------------------------------------------------------
// Status: GET /v1/incidents/:id, `npm run incident -- status`, and the workflow's query.

export type IncidentStage = 'recording' | 'resolving' | 'notifying' | 'waiting' | 'retracted' | 'closed';

export interface StepOutcome {
  met: boolean;
  reason?: string;
}

export interface IncidentStatus {
  id: string;
  workflowId: string;
  status: IncidentStage;
  discoveredAt: string;
  notifyBy: string;
  /** Hours until notifyBy (negative once past), one decimal. */
  hoursLeft: number;
  version: number;
  affected: { total: number; notified: number; failed: number; pending: number; corrected: number };
  offers: { issued: number; closed: number };
  authorityReport: { status: 'pending' | 'prepared' | 'submitted'; reference?: string; phases: { phase: string; reference: string; submittedAt: string }[] };
  escalations: { at: string; label: string; to: string[]; pending: string[] }[];
  retracted: boolean;
  /** At the deadline: per step, met or not and why. */
  deadline: Record<string, StepOutcome> | null;
  /** What the saga could not do. */
  failures: { at: string; step: string; reason: string }[];
}

export const incidentStatusQuery = defineQuery<IncidentStatus | null>('status');

// ---------------------------------------------------------------------------
// Between the workflow and its activities (ids and counts only).

export interface RecordedIncident {
  id: string;
  notifyBy: string;
  /** The escalation points, as instants. */
  escalations: { label: string; at: string }[];
  /** History events after which the workflow continues as new (BREACH_CONTINUE_AS_NEW_EVENTS). */
  continueAsNewAfterEvents: number;
}

/** The steps an escalation and the deadline look at. */
export type IncidentStep = 'notify_users' | 'authority_report' | 'credit_monitoring' | 'corrections';

export interface ResolveBatch {
  added: number;
  /** Resume after this user id, or null when the scope is resolved. */
  nextAfter: string | null;
}

/** After this long past the deadline, deliveries that keep failing are given up (and recorded as such). */
export const DELIVERY_GIVE_UP_AFTER_DEADLINE_MS = 7 * 24 * 3_600_000;

export interface IncidentOutcome {
  status: 'closed';
  affected: IncidentStatus['affected'];
}

export interface NotifyBatch {
  sent: number;
  failed: number;
  /** Recipients of this pass not tried yet (call again), or 0 when the pass is over. */
  more: boolean;
}

/** A batch of a delivery pass, with the status once the pass is over (null while it goes on). */
export interface DeliveryBatch extends NotifyBatch {
  status: IncidentStatus | null;
}

/** Users resolved per activity call: bounds each call's time, and the memory of the worker (the database does the work). */
export const RESOLVE_BATCH_SIZE = 5_000;
/** Notices (or corrections) per activity call. */
export const NOTIFY_BATCH_SIZE = 200;

/** What a continued run carries over (ids, counters and flags; no personal data). */
export interface IncidentCarry {
  id: string;
  recorded: RecordedIncident;
  /** The scope being resolved (the start's, or the last re-assessment's). */
  selector: AffectedSelector;
  /** Where the resolution of the current scope stands: null once resolved. */
  resolveAfter: string | null;
  resolving: boolean;
  pass: number;
  retryDelayMs: number;
  escalated: string[];
  deadlineRecorded: boolean;
  reportPrepared: boolean;
  gaveUpDelivery: boolean;
  signals: PendingSignal[];
  status: IncidentStatus | null;
}

export type PendingSignal =
  | { kind: 'add'; input: AddAffectedUsers }
  | { kind: 'confirm'; input: ConfirmAuthorityReport }
  | { kind: 'retract'; input: Retract }
  | { kind: 'update'; input: UpdateScope }
  | { kind: 'close' };
