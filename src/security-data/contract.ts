// The security-data cleanup's Temporal contract: its schedule and what a run reports.
// Pure TypeScript: bundled into workflow code.

export const SECURITY_DATA_CLEANUP_SCHEDULE_ID = 'clean-up-security-data';

/** Rows one run deleted, by kind. */
export interface SecurityDataDeleted {
  /** Sessions past their expiry, and revoked ones (log-out) whatever their expiry. */
  sessions: number;
  /** API tokens revoked REVOKED_API_TOKEN_RETENTION ago or longer. */
  apiTokens: number;
  /** Security events that happened SECURITY_EVENT_RETENTION ago or longer. */
  securityEvents: number;
  /** Rate-limit counters whose window has ended. */
  rateLimitKeys: number;
  /** Log-in contexts (keyed hashes of device and network class) last seen LOGIN_CONTEXT_RETENTION ago or longer. */
  loginContexts: number;
  /** Re-authentication codes past their expiry (used ones are deleted at use). */
  reauthCodes: number;
}
