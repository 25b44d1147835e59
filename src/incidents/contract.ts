// The breach-response feature's Temporal contract: the incident workflow's ids, its signals, its
// query and the status they all show, and what it carries across continue-as-new. Pure TypeScript:
// bundled into workflow code. The inputs an incident starts from and its signals carry, with their
// zod schemas, are in ./inputs (the workflow loads them only when an incident needs them).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AddAffectedUsers, AffectedSelector, ConfirmAuthorityReport, Retract, UpdateScope } from './inputs';

export type { AddAffectedUsers, AffectedSelector, ConfirmAuthorityReport, IncidentStart, Retract, UpdateScope } from './inputs';

/** One workflow per incident. */
export const incidentWorkflowId = (incidentId: string) => `incident-${incidentId}`;

/** The incident id a workflow id names (`incident-<uuid>`), for a start from the Temporal UI whose input has no id. */
export const incidentIdOf = (workflowId: string): string | undefined =>
  /^incident-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(workflowId)?.[1]?.toLowerCase();

/** Discovery may be at most this far ahead of the clock that checks it (clock skew between machines). */
export const DISCOVERY_SKEW_MS = 60_000;

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
