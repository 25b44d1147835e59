// The data export's Temporal contract: its workflow id, input and result.
// Pure TypeScript: bundled into workflow code. The history carries the request
// id and dates only: the file is written, sealed and stored by activities.

/** One export workflow per request: starting it again for the same request joins the running one. */
export const exportWorkflowId = (requestId: string) => `privacy-export-${requestId}`;

export interface ExportInput {
  requestId: string;
}

export interface ExportResult {
  /** `deleted`: made, offered until expiresAt, then deleted; `failed`: could not be made (the request says why); `skipped`: the request was not pending. */
  outcome: 'deleted' | 'failed' | 'skipped';
  expiresAt?: string;
}

/** Failure types of writing the export that no retry can fix (the request is failed with this code). */
export const EXPORT_FAILURE_TYPES = ['account_erased', 'data_key_destroyed'] as const;
