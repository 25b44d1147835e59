// What an incident starts from and what its signals carry: one JSON shape each, with its zod
// schema. The API, `npm run incident -- start <file>` and `temporal workflow start` / the Temporal
// UI all send the same JSON, and the incident workflow checks it again with these schemas. Plain
// zod: bundled into workflow code, but loaded by the incident workflow only when it runs
// (src/incidents/workflows.ts), not by every workflow the worker starts.
import { z } from 'zod';

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
