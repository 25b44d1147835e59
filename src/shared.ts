// What the API, the worker and workflow code share: task queues, workflow
// names, search attributes, and (later) signal / query / update definitions.
// Pure TypeScript with no Node imports: it is bundled into workflow code.

/** Search attributes registered on the Temporal server (start-dev --search-attribute). */
export const SEARCH_ATTRIBUTES = {
  ToolId: 'Keyword',
  ExecutionId: 'Keyword',
  ToolRunStatus: 'Keyword',
  ExpiresAt: 'Datetime',
} as const;
