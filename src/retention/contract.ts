// The retention feature's Temporal contract: one timer workflow per execution
// record, its signal and query, and the daily safety-net sweep.
// Pure TypeScript: bundled into workflow code.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const retentionWorkflowId = (executionId: string) => `execution-retention-${executionId}`;

export const SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID = 'sweep-expired-executions';

export interface RetentionInput {
  executionId: string;
  /** ISO time at which the record is deleted. */
  expiresAt: string;
}

export interface RetentionState {
  executionId: string;
  expiresAt: string;
  /** When the timer deleted the record (null while it waits). */
  purgedAt: string | null;
}

/** Early deletion by the user: the record is already deleted; end the wait. */
export const purgeNowSignal = defineSignal('purgeNow');

/** When will (or did) this record be deleted? */
export const retentionQuery = defineQuery<RetentionState>('retention');
