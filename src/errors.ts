// Every refusal the system can answer with, in one catalog. Services, the
// ledger and activities throw `DomainError(code, message, details?)`; they know
// nothing of HTTP. The HTTP layer maps each code to a status (src/api/errors.ts)
// and route declarations list the codes they may answer with, so the OpenAPI
// document is built from this catalog and cannot drift from it. Inside an
// activity a DomainError is a business refusal: it becomes a non-retryable
// ApplicationFailure whose type is the code.
//
// Pure TypeScript with no imports: the workflow bundle may read the codes.

/** Code → what it means (the OpenAPI document shows these descriptions). */
export const ERROR_CATALOG = {
  // The request itself
  validation_failed: 'a parameter, query field or body field is missing or invalid (details list each problem)',
  malformed_json: 'the body is not valid JSON',
  malformed_body: 'the body could not be read (Content-Encoding or bytes)',
  request_aborted: 'the client closed the request before the body arrived',
  unexpected_body: 'this route takes no body',
  body_required: 'this route needs a JSON body',
  invalid_cursor: 'the pagination cursor is not one this API returned',
  invalid_idempotency_key: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
  idempotency_key_required: 'this route needs an Idempotency-Key header',
  payload_too_large: 'the body is larger than the server accepts',
  unsupported_media_type: 'send the body as application/json',
  route_not_found: 'no route has this path',
  method_not_allowed: 'the path exists but not with this method (see the Allow header)',
  rate_limited: 'too many requests: wait for Retry-After seconds',

  // Who is calling
  unauthenticated: 'sign in or send a valid Bearer token',
  invalid_token: 'the Bearer token is malformed, unknown or revoked',
  invalid_credentials: 'email or password is wrong',
  csrf_token_invalid: 'a cookie-authenticated unsafe request must send X-CSRF-Token',
  forbidden: 'your role does not allow this',

  // Resources
  not_found: 'no such resource, or not yours',
  package_not_found: 'no credit package with this id',
  conflict: 'a record with these values already exists',
  email_taken: 'an account with this email already exists',
  idempotency_key_reused: 'this Idempotency-Key was used for a different request',

  // Tools
  invalid_input_schema: 'the input schema is not in the supported subset or does not compile',
  invalid_prompt_template: 'the prompt uses placeholders that are not inputs',
  model_not_priced: 'the platform has no price for this model',
  price_below_model_cost: 'a run on the platform key could cost more than the price (details.minimumPriceCredits)',

  // Runs
  invalid_inputs: 'the inputs do not match the tool\'s input schema',
  provider_key_required: 'this tool runs only with your own provider key',
  prompt_too_large: 'the prompt these inputs make exceeds the model\'s bounds',
  tool_misconfigured: 'the tool\'s saved schema no longer compiles; its creator must fix it',
  too_many_running: 'too many of your runs are in flight',
  execution_running: 'the run has not finished yet',
  execution_expired: 'the run was deleted at retention expiry or on request; only its ledger entries remain',

  // Privacy rights
  reauthentication_required: 'confirm it is you first: POST /v1/auth/reauth, then retry within 10 minutes',
  reauth_code_invalid: 'the code is not the one we mailed (details.attemptsLeft: tries left before it is void)',
  reauth_code_expired: 'no valid code: it expired, was used, or was voided after 5 wrong tries; request a new one (POST /v1/auth/reauth/code)',
  export_not_ready: 'the export is still being prepared',
  export_expired: 'the export link has expired and the file is deleted: request a new export',
  export_failed: 'the export could not be made: request a new export',
  erasure_in_progress: 'the grace period is over: the erasure has started and can no longer be cancelled',
  access_reason_required: 'support access needs the reason in the X-Access-Reason header (1 to 500 characters)',
  discovered_in_future: 'discoveredAt is in the future: the clock starts when the breach was discovered',
  incident_exists: 'an incident with this id already exists',
  incident_closed: 'the incident is closed',
  incident_retracted: 'the incident was retracted: nothing more is sent for it',
  incident_open_steps: 'the incident cannot be closed while users wait for a notice or the initial authority report is not confirmed (retract it if it was not a breach)',
  unsubscribe_link_invalid: 'the unsubscribe link is not one we sent (altered or incomplete), or its account no longer exists: nothing was changed',
  unsubscribe_link_expired: 'the unsubscribe link has expired: nothing was changed; withdraw consent in your settings instead',
  unsubscribe_link_used: 'this unsubscribe link was already used: nothing more was changed',

  // Credits
  insufficient_credits: 'not enough available credits for this run\'s hold',
  account_under_review: 'paid runs are paused after a refund or dispute until an operator clears the account',
  adjustment_exceeds_balance: 'taking back this many credits would make the balance negative',
  invalid_signature: 'the Stripe-Signature header is missing or does not match the payload',
  malformed_event: 'a signed Stripe event whose shape we cannot apply',
  payment_provider_error: 'Stripe answered something unusable',
  payments_unavailable: 'payments are not configured on this server',

  // Ledger invariants: refusals the API never expects to meet (a bug if one reaches a client)
  reservation_not_found: 'no credit hold exists for this run',
  reservation_settled: 'the credit hold was already captured or released',
  reservation_mismatch: 'this run already holds a different amount',
  capture_exceeds_reservation: 'a capture larger than the hold',
  invalid_amount: 'an amount that is not a positive whole number',
  purchase_not_found: 'no paid checkout with this id',

  // Operators
  undecodable_payload: 'a Temporal payload could not be decoded with the configured keys',

  // The service
  not_ready: 'a dependency (Postgres or Temporal) does not answer',
  database_unavailable: 'the database is not reachable; retry shortly',
  workflow_service_unavailable: 'the workflow service is not reachable; retry shortly',
  internal_error: 'something went wrong on our side (details.requestId)',
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOG[code],
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isErrorCode = (code: string): code is ErrorCode => Object.prototype.hasOwnProperty.call(ERROR_CATALOG, code);

export const notFound = (what = 'resource') => new DomainError('not_found', `${what} not found`);
