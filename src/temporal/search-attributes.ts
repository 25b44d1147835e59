// The custom search attributes, defined once: workflows and the API set them
// through these typed keys, and the dev server registers exactly these
// (scripts/lib/dev-services.ts). Operators filter on them in the Temporal UI,
// e.g. `ToolId = "<id>" AND ToolRunStatus = "failed"`.
// Pure TypeScript: bundled into workflow code.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SEARCH_ATTRIBUTE_KEYS = {
  toolId: defineSearchAttributeKey('ToolId', SearchAttributeType.KEYWORD),
  executionId: defineSearchAttributeKey('ExecutionId', SearchAttributeType.KEYWORD),
  toolRunStatus: defineSearchAttributeKey('ToolRunStatus', SearchAttributeType.KEYWORD),
  expiresAt: defineSearchAttributeKey('ExpiresAt', SearchAttributeType.DATETIME),
  incidentId: defineSearchAttributeKey('IncidentId', SearchAttributeType.KEYWORD),
  incidentDeadline: defineSearchAttributeKey('IncidentDeadline', SearchAttributeType.DATETIME),
  incidentStage: defineSearchAttributeKey('IncidentStage', SearchAttributeType.KEYWORD),
};

/** The type names `temporal server start-dev --search-attribute Name=Type` takes. */
const CLI_TYPE_NAMES: Partial<Record<SearchAttributeType, string>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` for each attribute, as the Temporal CLI registers them. */
export function searchAttributeCliSpecs(): string[] {
  return Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => `${key.name}=${CLI_TYPE_NAMES[key.type]}`);
}
