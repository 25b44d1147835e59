// The erasure feature's Temporal contract: one workflow per account, its
// cancel signal and what it reports. Pure TypeScript: bundled into workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * One erasure workflow per account, so a second request joins the first. The id is derived from
 * the account without naming it: the SHA-256 of the user id (a random UUID), computed by the caller.
 */
export const erasureWorkflowId = (userIdDigest: string) => `privacy-erasure-${userIdDigest}`;

export interface ErasureInput {
  /** The privacy request (type erasure) this run carries out. Only ids travel through Temporal. */
  requestId: string;
  /**
   * From the workflow's start: how long the grace period still lasts, and after how long a step
   * still failing alerts the DPO. Durations, not dates, so the workflow measures them on its own
   * clock (the server's, which a time-skipping test server moves on).
   */
  graceMs: number;
  warnAfterMs: number;
}

/** The user cancelled in the grace period (the database already says so; this wakes the workflow). */
export const cancelErasureSignal = defineSignal('cancel');

export type ErasurePhase = 'grace' | 'erasing' | 'cancelled' | 'completed';
export const erasurePhaseQuery = defineQuery<ErasurePhase>('phase');

/** Rows each table lost (deleted) or kept under the pseudonym / with values destroyed, for the certificate. */
export type ErasureCounts = Record<string, { deleted?: number; updated?: number }>;

export interface ErasureOutcome {
  status: 'cancelled' | 'completed';
  counts?: ErasureCounts;
}
