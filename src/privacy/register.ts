// The register of personal data: every table of the schema that holds personal
// data, every one of its columns, and what the privacy policy does with each:
// category, legal basis, retention, export and erasure. Export, erasure,
// retention and key rotation read it; tables that hold none are listed in
// NOT_PERSONAL with the reason, so "considered and not personal" differs from
// "forgotten". test/privacy/register.test.ts compares both with the live schema
// and fails on any table or column that is in neither, and README.md's privacy
// section is generated from here (`npm run docs:privacy`).
//
// Each table states its policy once; its columns list only what differs
// (`{}`: the table's policy). Encrypted columns point at their entry in
// ENCRYPTED_COLUMNS (src/crypto/columns.ts), which keeps the AAD: one truth.
//
// Adding a column: one line under its table, e.g.
//   phone: { export: include, erasure: del },      // or {} when the table's policy fits
//   name_ciphertext: { encrypted: ENCRYPTED_COLUMNS.userName },
// Adding a table: an entry in PERSONAL_DATA (or NOT_PERSONAL, with the reason).
import { Prisma } from '@prisma/client';
import { ENCRYPTED_COLUMNS, type EncryptedColumn } from '../crypto/columns';

export type Category =
  | 'account'
  | 'creator_content'
  | 'execution'
  | 'financial'
  | 'provider_key'
  | 'security'
  | 'support_audit'
  | 'consent'
  | 'analytics';

export interface LegalBasis {
  basis: 'contract' | 'legal_obligation' | 'legitimate_interest' | 'consent';
  /** One line: why this basis covers this data. */
  why: string;
}

export type Retention =
  /** Kept while the account exists; erasure decides what happens then. */
  | { kind: 'account' }
  /** Kept until the user deletes it (or the account). */
  | { kind: 'until_deleted'; by: string }
  /**
   * Removed once the time in column `from` (plus `after`, a duration such as "30d")
   * has passed; a row whose `from` is NULL is not timed yet. `rule` says it in words.
   */
  | { kind: 'timed'; from: string; after?: string; rule: string }
  /** Kept for good; erasure pseudonymizes what would name the person. */
  | { kind: 'indefinite'; why: string };

export type ExportRule =
  /** In the user's export as stored; an encrypted column decrypted. */
  | { action: 'include' }
  /** In the export, replaced by the text `as`. */
  | { action: 'mask'; as: string; why: string }
  | { action: 'exclude'; why: string };

export type ErasureRule =
  /** Destroyed with its row: a table whose columns all say `delete` deletes the user's rows. */
  | { action: 'delete' }
  /** The row stays; the reference to the person becomes the account's pseudonym (one per account, so its records still add up). */
  | { action: 'pseudonymize'; why: string }
  /** The row stays; the value is destroyed (NULL, or '' / '{}' where the column cannot be NULL). */
  | { action: 'blank'; why: string }
  | { action: 'keep'; why: string };

export type Owner =
  /** The column holds the owner's user id (in `users`, the id itself). */
  | { column: string }
  /** The row belongs to the owner of the row of `via.table` whose `via.column` equals this row's `column`. */
  | { column: string; via: { table: string; column: string } }
  /** Rows that cannot be attributed to a user, and why. */
  | { none: string };

export interface Policy {
  category: Category;
  basis: LegalBasis;
  retention: Retention;
  export: ExportRule;
  erasure: ErasureRule;
}

/** A column: what differs from its table's policy, and its encryption when it is encrypted. */
export interface ColumnEntry extends Partial<Policy> {
  encrypted?: EncryptedColumn;
}

export interface PersonalTable extends Policy {
  /** What the table holds, in the product's words. */
  holds: string;
  owner: Owner;
  /** Every column of the table ({} when the table's policy fits it). */
  columns: Record<string, ColumnEntry>;
}

const contract = (why: string): LegalBasis => ({ basis: 'contract', why });
const legalObligation = (why: string): LegalBasis => ({ basis: 'legal_obligation', why });
const legitimateInterest = (why: string): LegalBasis => ({ basis: 'legitimate_interest', why });
const consent = (why: string): LegalBasis => ({ basis: 'consent', why });

const untilAccountDeletion: Retention = { kind: 'account' };
const untilDeletedBy = (by: string): Retention => ({ kind: 'until_deleted', by });
const timed = (from: string, rule: string, after?: string): Retention => ({ kind: 'timed', from, rule, ...(after ? { after } : {}) });
const indefinitely = (why: string): Retention => ({ kind: 'indefinite', why });

const include: ExportRule = { action: 'include' };
const mask = (as: string, why: string): ExportRule => ({ action: 'mask', as, why });
const exclude = (why: string): ExportRule => ({ action: 'exclude', why });

const del: ErasureRule = { action: 'delete' };
const pseudonymize = (why: string): ErasureRule => ({ action: 'pseudonymize', why });
const blank = (why: string): ErasureRule => ({ action: 'blank', why });
const keep = (why: string): ErasureRule => ({ action: 'keep', why });

const OPERATOR_MASK = mask('operator', "the operator's identity (staff user id or OS user name) is staff data, not the user's");
const FINANCIAL_RECORD = 'the financial record stays (amounts, timestamps, tools): books must explain every balance';
const ACCOUNT_PSEUDONYM = 'financial records are kept, under the account pseudonym';

export const PERSONAL_DATA = {
  users: {
    holds: 'the account: profile, credentials, roles and the consents the user gave',
    owner: { column: 'id' },
    category: 'account',
    basis: contract('the account the user signed up for: log-in, profile, mail about it'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: {
      id: {},
      name: { export: exclude('legacy clear column: empty once `npm run keys -- backfill` ran (new rows never fill it); the name is exported from name_ciphertext') },
      email: { export: exclude('legacy clear column: empty after the backfill; the address is exported from email_ciphertext') },
      name_ciphertext: { encrypted: ENCRYPTED_COLUMNS.userName },
      email_ciphertext: { encrypted: ENCRYPTED_COLUMNS.userEmail },
      avatar_ciphertext: { encrypted: ENCRYPTED_COLUMNS.userAvatar },
      email_index: {
        category: 'security',
        export: exclude('an HMAC of the normalized address for log-in: the address itself is exported'),
      },
      password_hash: {
        category: 'security',
        export: exclude('a scrypt hash of the password: of no use to the user, a risk in an export file'),
      },
      avatar_url: { export: exclude('legacy clear column: empty after the backfill; the avatar URL is exported from avatar_ciphertext') },
      roles: {},
      marketing_consent: {
        category: 'consent',
        basis: consent('the user opts in (sign-up or settings) and may withdraw at any time'),
      },
      analytics_cookies: {
        category: 'consent',
        basis: consent('the analytics cookie preference: off unless the user turns it on'),
      },
      erasure_started_at: { category: 'security', export: exclude('set only once erasure has begun, when no export can be made') },
      restricted: {
        category: 'consent',
        basis: legalObligation('Art. 18 GDPR: while set, nothing non-essential is processed (analytics, creator input sharing, marketing)'),
      },
      objects_to_analytics: { category: 'consent', basis: legalObligation('Art. 21 GDPR: the user objects to usage analytics') },
      objects_to_creator_sharing: { category: 'consent', basis: legalObligation('Art. 21 GDPR: the user objects to sharing anonymized inputs with creators') },
      objects_to_marketing: { category: 'consent', basis: legalObligation('Art. 21(2) GDPR: the user objects to marketing') },
      created_at: {},
      updated_at: {},
    },
  },

  user_keys: {
    holds: "each user's data key, wrapped by the keyring: everything personal of theirs is encrypted under it",
    owner: { column: 'user_id' },
    category: 'security',
    basis: contract('encryption at rest of the account\'s data, promised by the policy'),
    retention: untilAccountDeletion,
    export: exclude('a wrapped key: of no use to the user, and the means to read their data'),
    erasure: keep('the row goes with the account row, deleted last (ON DELETE CASCADE)'),
    columns: {
      user_id: {},
      wrapped_key: {
        encrypted: ENCRYPTED_COLUMNS.userDataKey,
        erasure: blank('destroyed first (NULL): every copy of the user\'s data, backups included, becomes unreadable'),
      },
      created_at: {},
      destroyed_at: {},
    },
  },

  mail_outbox: {
    holds: 'mail to send or sent (security alerts, marketing to consenting users): the purpose, the data the template shows, and the address sealed under the user\'s key',
    owner: { column: 'user_id' },
    category: 'security',
    basis: contract('security alerts about the account, promised by the policy'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: {
      id: {},
      user_id: {},
      purpose: {},
      dedupe_key: {},
      recipient_ciphertext: { encrypted: ENCRYPTED_COLUMNS.mailRecipient },
      sealed_recipient_ciphertext: {
        encrypted: ENCRYPTED_COLUMNS.mailSealedRecipient,
        export: exclude('only for mail to someone with no account (the erasure confirmation): never a user\'s row'),
      },
      data: {},
      secret_ciphertext: {
        encrypted: ENCRYPTED_COLUMNS.mailSecret,
        retention: timed('sent_at', 'until the mail is sent: set to NULL in the same transaction'),
        export: exclude('a one-time code, destroyed once mailed and useless after 10 minutes'),
      },
      created_at: {},
      sent_at: {},
      discarded_at: {},
      attempts: {},
    },
  },

  consent_events: {
    holds: 'the history of consents, the cookie preference, restriction and objections: which, the new value, the source (signup, settings, unsubscribe link, DPO) and when',
    owner: { column: 'user_id' },
    category: 'consent',
    basis: legalObligation('Art. 7(1) GDPR: show that consent was given (and when it was withdrawn), and that restriction and objections were honoured'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: { id: {}, user_id: {}, purpose: {}, granted: {}, source: {}, mail_id: {}, created_at: {} },
  },

  sessions: {
    holds: 'log-in sessions behind the essential `sid` cookie (a SHA-256 of the cookie value)',
    owner: { column: 'user_id' },
    category: 'security',
    basis: contract('keeps the user signed in: the essential session cookie'),
    retention: timed('expires_at', 'until expiry (SESSION_TTL after log-in); a revoked one (log-out) at the next cleanup run'),
    export: include,
    erasure: del,
    columns: {
      id: {},
      token_hash: { export: exclude('a hash of a secret: of no use to the user, a risk in an export file') },
      user_id: {},
      created_at: {},
      expires_at: {},
      revoked_at: {},
      proven_at: {},
    },
  },

  api_tokens: {
    holds: "the user's personal API tokens (Bearer; only a SHA-256 of each is kept)",
    owner: { column: 'user_id' },
    category: 'security',
    basis: contract('tokens the user made to call the API from scripts; revoked ones are kept to investigate misuse'),
    retention: timed('revoked_at', '30 days after revocation, REVOKED_API_TOKEN_RETENTION (active tokens: until revoked or account deletion)', '30d'),
    export: include,
    erasure: del,
    columns: {
      id: {},
      user_id: {},
      name: {},
      token_hash: { export: exclude('a hash of a secret: of no use to the user, a risk in an export file') },
      created_at: {},
      last_used_at: {},
      revoked_at: {},
      proven_at: {},
    },
  },

  tools: {
    holds: "a creator's tools: the prompt template (encrypted) and the tool's public metadata",
    owner: { column: 'creator_id' },
    category: 'creator_content',
    basis: contract("publishing the creator's tool on the marketplace and running it for its users"),
    retention: untilAccountDeletion,
    export: include,
    erasure: keep("what other users' runs and ledger entries name: the row stays as a deleted tool's tombstone"),
    columns: {
      id: {},
      creator_id: { erasure: pseudonymize("other users' runs and ledger entries keep the tool id; creator earnings stay countable") },
      name: { erasure: blank('a deleted tool is shown to nobody; its name may name the creator') },
      description: { erasure: blank('a deleted tool is shown to nobody; free text of the creator') },
      prompt_ciphertext: {
        encrypted: ENCRYPTED_COLUMNS.toolPrompt,
        retention: untilDeletedBy('the creator deletes the tool'),
        erasure: blank('the prompt is destroyed, as when the tool is deleted'),
      },
      input_schema: { erasure: blank("the creator's tool definition, of no use once the tool is deleted") },
      model: {},
      price_credits: {},
      byom_only: {},
      created_at: {},
      updated_at: {},
      deleted_at: { erasure: keep('set by deleting the tool, which erasure does first') },
    },
  },

  rate_limit_hits: {
    holds: 'fixed-window counters of the rate limits, keyed by an HMAC-SHA256 of the user id or client IP under RATE_LIMIT_KEY_SECRET',
    owner: { none: 'a key is a keyed one-way hash (HMAC) of a user id or an IP address: rows cannot be looked up by user' },
    category: 'security',
    basis: legitimateInterest('protects accounts and the service from brute force and abuse'),
    retention: timed('reset_at', 'until the window ends (deleted by the next cleanup run)'),
    export: exclude('not attributable to a user (keyed hashes), and gone when the window ends'),
    erasure: keep('not findable by user; gone when its window ends'),
    columns: { key: {}, hits: {}, reset_at: {} },
  },

  credit_accounts: {
    holds: "the user's credit balance (sums of the ledger) and the fraud review flag",
    owner: { column: 'user_id' },
    category: 'financial',
    basis: contract('the prepaid credits the user bought and spends'),
    retention: indefinitely('the balance is the sum of the ledger, which is kept for good'),
    export: include,
    erasure: keep(FINANCIAL_RECORD),
    columns: {
      user_id: { erasure: pseudonymize(ACCOUNT_PSEUDONYM) },
      available: {},
      reserved: {},
      shortfall: {},
      fraud_flagged_at: { basis: legitimateInterest('fraud prevention after refunds and disputes') },
      fraud_reason: { basis: legitimateInterest('fraud prevention after refunds and disputes') },
      updated_at: {},
    },
  },

  ledger_entries: {
    holds: 'the append-only ledger: every purchase, hold, capture, release, refund, dispute and adjustment',
    owner: { column: 'account_id' },
    category: 'financial',
    basis: legalObligation('bookkeeping: every movement of paid credits is recorded and kept'),
    retention: indefinitely('financial record'),
    export: include,
    erasure: keep(FINANCIAL_RECORD),
    columns: {
      id: {},
      account_id: { erasure: pseudonymize(ACCOUNT_PSEUDONYM) },
      type: {},
      available_delta: {},
      reserved_delta: {},
      shortfall: {},
      tool_id: {},
      execution_id: {},
      stripe_object_id: {},
      idempotency_key: {},
      created_at: {},
    },
  },

  credit_reservations: {
    holds: 'the hold on credits of each run, settled once (captured or released)',
    owner: { column: 'account_id' },
    category: 'financial',
    basis: legalObligation('bookkeeping: what each run held and was charged'),
    retention: indefinitely('financial record'),
    export: include,
    erasure: keep(FINANCIAL_RECORD),
    columns: {
      execution_id: {},
      account_id: { erasure: pseudonymize(ACCOUNT_PSEUDONYM) },
      tool_id: {},
      amount: {},
      state: {},
      captured_amount: {},
      expires_at: {},
      created_at: {},
      settled_at: {},
    },
  },

  credit_purchases: {
    holds: 'Stripe Checkout sessions the user opened, and the purchases they became',
    owner: { column: 'account_id' },
    category: 'financial',
    basis: legalObligation('bookkeeping: a record of every payment'),
    retention: indefinitely('financial record'),
    export: include,
    erasure: keep(FINANCIAL_RECORD),
    columns: {
      checkout_session_id: {},
      account_id: { erasure: pseudonymize(ACCOUNT_PSEUDONYM) },
      package_id: {},
      credits: {},
      amount_cents: {},
      currency: {},
      request_key: { erasure: blank("the caller's own Idempotency-Key: text the user chose, not part of the record") },
      checkout_url: {},
      payment_intent_id: {},
      paid_at: {},
      credited_at: {},
      clawed_back: {},
      created_at: {},
    },
  },

  credit_clawbacks: {
    holds: "refunds and disputes Stripe reported on the user's payments",
    owner: { column: 'payment_intent_id', via: { table: 'credit_purchases', column: 'payment_intent_id' } },
    category: 'financial',
    basis: legalObligation('bookkeeping: refunds and disputes of payments'),
    retention: indefinitely('financial record'),
    export: include,
    erasure: keep(`${FINANCIAL_RECORD}; no user reference in the row (the purchase's is pseudonymized)`),
    columns: { stripe_object_id: {}, kind: {}, payment_intent_id: {}, amount_cents: {}, created_at: {} },
  },

  credit_adjustments: {
    holds: "operators' credit grants and corrections: who, why, how much",
    owner: { column: 'account_id' },
    category: 'financial',
    basis: legalObligation('bookkeeping: a balance changed by hand is explained by who did it and why'),
    retention: indefinitely('financial record'),
    export: include,
    erasure: keep(FINANCIAL_RECORD),
    columns: {
      id: {},
      account_id: { erasure: pseudonymize(ACCOUNT_PSEUDONYM) },
      operator: { export: OPERATOR_MASK, erasure: keep('staff accountability') },
      credits: {},
      reason: { erasure: blank('free text an operator wrote about the person') },
      request_key: { export: exclude("the operator's request key, which names the operator") },
      created_at: {},
    },
  },

  operator_actions: {
    holds: "the support and operator audit: actions on an account outside the ledger: clearing a fraud review, granting or revoking a staff role",
    owner: { column: 'user_id' },
    category: 'support_audit',
    basis: legitimateInterest('accountability: every staff action on an account is recorded, and shown to the user'),
    retention: indefinitely('the audit of staff actions outlives the account, pseudonymized'),
    export: include,
    erasure: keep('the audit of staff actions stays'),
    columns: {
      id: {},
      user_id: { erasure: pseudonymize('the audit stays, no longer naming the person') },
      operator: { export: OPERATOR_MASK },
      action: {},
      reason: { erasure: blank('free text an operator wrote about the person') },
      detail: { erasure: blank('what the action changed: the review reason it lifted (about the person), or the role') },
      created_at: {},
    },
  },

  executions: {
    holds: "tool runs: the user's inputs and the model's output (encrypted), status, tokens, cost and times",
    owner: { column: 'user_id' },
    category: 'execution',
    basis: contract('running the tool the user asked for and showing them the result'),
    retention: timed('expires_at', '90 days from the run (EXECUTION_RETENTION), the whole record'),
    export: include,
    erasure: del,
    columns: {
      id: {},
      user_id: {},
      tool_id: {},
      provider_key_id: {},
      byom: {},
      status: {},
      reserved_credits: {},
      cost_credits: {},
      model: {},
      credits_per_1k_input_tokens: {},
      credits_per_1k_output_tokens: {},
      inputs_ciphertext: { encrypted: ENCRYPTED_COLUMNS.executionInputs },
      output_ciphertext: { encrypted: ENCRYPTED_COLUMNS.executionOutput },
      prompt_tokens: {},
      completion_tokens: {},
      error_code: {},
      error_message: {},
      idempotency_key: {},
      request_hash: { export: exclude('a SHA-256 of the request, kept only to refuse a reused Idempotency-Key') },
      created_at: {},
      started_at: {},
      finished_at: {},
      expires_at: {},
    },
  },

  provider_keys: {
    holds: "the user's own model-provider keys (BYOM): the key encrypted, and its masked form",
    owner: { column: 'user_id' },
    category: 'provider_key',
    basis: contract("runs the user's tools on their own model account, at their request"),
    retention: untilDeletedBy('the user deletes the key'),
    export: include,
    erasure: del,
    columns: {
      id: {},
      user_id: {},
      provider: {},
      label: {},
      masked: {},
      key_ciphertext: {
        encrypted: ENCRYPTED_COLUMNS.providerKey,
        export: exclude('the secret is never returned, not even to its owner: `masked` is exported instead'),
      },
      created_at: {},
    },
  },

  security_events: {
    holds: 'security-relevant events on the account (new log-in, key added or deleted, password changed), for alert emails',
    owner: { column: 'user_id' },
    category: 'security',
    basis: legitimateInterest('alerting the user to activity on their account and investigating misuse'),
    retention: timed('created_at', '12 months from the event, SECURITY_EVENT_RETENTION', '365d'),
    export: include,
    erasure: del,
    columns: {
      id: {},
      user_id: {},
      type: {},
      details: {}, // what the alert says: a new log-in's device family and kind of network, never an address
      created_at: {},
      notified_at: {},
    },
  },

  reauth_codes: {
    holds: 'the pending mailed re-authentication code of an account: only an HMAC-SHA256 of the code under a server key, its expiry and the wrong tries so far',
    owner: { column: 'user_id' },
    category: 'security',
    basis: contract('proving the account again before an export or an erasure, as the policy promises'),
    retention: timed('expires_at', 'deleted when used or after 5 wrong tries; at its expiry (REAUTH_CODE_TTL, 10 minutes) by the next cleanup run'),
    export: exclude('a keyed hash of a one-time code that lives minutes: nothing of the user\'s'),
    erasure: del,
    columns: { user_id: {}, id: {}, code_hmac: {}, failed_attempts: {}, created_at: {}, expires_at: {} },
  },

  login_contexts: {
    holds: 'the classes of device and network the account signed in from (browser family + OS, IPv4 /24 or IPv6 /48), each only as an HMAC-SHA256 under a server key bound to the user: never the IP address or the user agent',
    owner: { column: 'user_id' },
    category: 'security',
    basis: legitimateInterest('alerting the user to a sign-in from a device or network the account has not used'),
    retention: timed('last_seen_at', '12 months after the account last signed in from that class, LOGIN_CONTEXT_RETENTION', '365d'),
    export: include,
    erasure: del,
    columns: {
      user_id: {},
      context_hmac: { export: exclude('a keyed one-way hash: it says nothing to the user, and the class it stands for is not kept') },
      first_seen_at: {},
      last_seen_at: {},
    },
  },

  privacy_requests: {
    holds: 'privacy requests (export, erasure, restriction, objection, rectification): type, status, channel, due date',
    owner: { column: 'user_id' },
    category: 'consent',
    basis: legalObligation('Art. 5(2) and 12(3) GDPR: show that each request was answered, and in time'),
    retention: indefinitely('the record that a request was answered in time; after erasure it names no one'),
    export: include,
    erasure: keep('the record that the request was answered stays; the user reference is set to NULL with the account'),
    columns: {
      id: {},
      user_id: { erasure: blank('the account row is deleted and ON DELETE SET NULL clears the reference: the request then names no one') },
      type: {},
      status: {},
      channel: {},
      opened_by: { export: OPERATOR_MASK },
      details: {},
      created_at: {},
      due_at: {},
      completed_at: {},
      at_risk_at: {},
      failure_code: {},
    },
  },

  erasure_requests: {
    holds: "an erasure in progress: whose, the pseudonym its financial records will carry, and the address for the confirmation (under the keyring)",
    owner: { column: 'user_id' },
    category: 'account',
    basis: legalObligation('Art. 17 GDPR: carrying out the erasure and confirming it to the person'),
    retention: timed('grace_ends_at', 'until the erasure ends: the address is destroyed once the confirmation is queued, the user reference with the account'),
    export: include,
    erasure: keep('the erasure\'s own record: it carries the erasure out'),
    columns: {
      request_id: {},
      user_id: { erasure: blank('the account row is deleted last and ON DELETE SET NULL clears the reference') },
      pseudonym: {},
      recipient_ciphertext: {
        encrypted: ENCRYPTED_COLUMNS.erasureRecipient,
        export: exclude('the account\'s own address, exported from users'),
        erasure: blank('destroyed once the confirmation mail is queued'),
      },
      grace_ends_at: {},
      created_at: {},
    },
  },

  incident_recipients: {
    holds: 'which security incidents affected the user, and what they were sent: the notice (its version), any correction, and the credit-monitoring offer with its enrolment code',
    owner: { column: 'user_id' },
    category: 'security',
    basis: legalObligation('Art. 34 GDPR: telling each person a breach affects, and being able to show that it was done'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: {
      incident_id: {},
      user_id: {},
      in_scope: {},
      scope_generation: {},
      notice_version: {},
      notified_at: {},
      attempts: {},
      last_pass: { export: exclude("the saga's own bookkeeping (which delivery pass last tried)") },
      last_error: {},
      corrected_at: {},
      offer_code_ciphertext: { encrypted: ENCRYPTED_COLUMNS.incidentOfferCode },
      offer_issued_at: {},
      offer_closed_at: {},
      added_at: {},
    },
  },

  support_access_audit: {
    holds: "every time support staff read the user's runs: which (the list, or one run), why (the stated reason) and when",
    owner: { column: 'user_id' },
    category: 'support_audit',
    basis: legalObligation('Art. 5(2) and 32 GDPR: accountability for staff access to personal data; the policy promises the user sees it'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: {
      id: {},
      staff_id: { export: OPERATOR_MASK },
      user_id: {},
      action: {},
      execution_id: {},
      reason: {},
      created_at: {},
    },
  },

  privacy_exports: {
    holds: 'the data exports made for the user: size, chunk count and SHA-256 of each file, when it was made and until when it can be downloaded',
    owner: { column: 'user_id' },
    category: 'account',
    basis: legalObligation('Art. 15 and 20 GDPR: the copy of their data the user asked for, and the record that it was given'),
    retention: untilAccountDeletion,
    export: include,
    erasure: del,
    columns: {
      request_id: {},
      user_id: {},
      format_version: {},
      size_bytes: {},
      chunk_count: {},
      sha256: { retention: timed('expires_at', 'cleared with the file when the download link expires (EXPORT_LINK_TTL)') },
      created_at: {},
      expires_at: {},
      deleted_at: {},
    },
  },

  privacy_export_chunks: {
    holds: "the export file itself, in slices sealed under the user's data key",
    owner: { column: 'user_id' },
    category: 'account',
    basis: legalObligation('Art. 15 and 20 GDPR: the copy of their data the user asked for, kept until they can download it'),
    retention: untilDeletedBy("the export's own timer, when the download link expires (EXPORT_LINK_TTL after the export is made; privacy_exports.expires_at)"),
    export: exclude('the export file itself: a new export holds the data it copies'),
    erasure: del,
    columns: {
      request_id: {},
      seq: {},
      user_id: {},
      ciphertext: { encrypted: ENCRYPTED_COLUMNS.dataExportChunk },
    },
  },
} satisfies Record<string, PersonalTable>;

/** Tables considered and found to hold no personal data, with the reason. */
export const NOT_PERSONAL = {
  analytics_buckets:
    'usage aggregates per tool and closed hour or day (counts, latency percentiles, credits, how many distinct users as a number): no user id, input or output; runs of users who restricted processing or objected to analytics are left out',
  analytics_watermarks: 'how far the usage rollup has come (one timestamp)',
  analytics_platform_days: 'the whole platform\'s usage per closed day (counts, failure codes, latency, credits, how many distinct users as a number): no user id, input or output',
  _prisma_migrations: "Prisma's record of the migrations applied: names, checksums, times",
  erasure_certificates:
    'proof that an erasure was done: the request id, the pseudonym the financial records now carry, row counts per table, times; nothing that names the person',
  incidents:
    'the breach register (GDPR Art. 33(5)): what happened, when it was discovered, the categories of data, how the affected users were selected (a tool and a period, an instant, or "a list of N users": never the ids), the measures, the counts and the deadline\'s outcome; responders are told in docs/INCIDENT_RUNBOOK.md to name no one in the texts',
  incident_reports:
    'reports submitted to the supervisory authority: the phase, the authority\'s reference and the document as it was then (counts, categories, measures): no user is named',
  incident_escalations: 'when an incident was escalated to the responders and the DPO (roles, not people) and which steps were open',
  marketing_campaigns: 'marketing mail an operator wrote for every consenting user (subject, plain-text body) and how many were queued and sent: nothing about any user',
  retention_sweeps: 'one row per run of the retention sweep: how many records it found and how long it took, no record ids',
  security_data_cleanups: 'one row per run of the security-data cleanup: how many rows of each kind it deleted and when, no ids',
  stripe_events:
    "Stripe event ids, types and the id of the object each event was about (a checkout session, charge or dispute): nothing names a user; the purchase or clawback is registered in credit_purchases / credit_clawbacks, whose user reference erasure pseudonymizes",
} satisfies Record<string, string>;

export type PersonalTableName = keyof typeof PERSONAL_DATA;

/** Every registered table, with its name. */
export function personalTables(): [PersonalTableName, PersonalTable][] {
  return Object.entries(PERSONAL_DATA) as [PersonalTableName, PersonalTable][];
}

/** A column's whole policy: its table's, with the column's own rules applied. */
export function columnPolicy(table: PersonalTableName, column: string): Policy & { encrypted?: EncryptedColumn } {
  const entry: PersonalTable = PERSONAL_DATA[table];
  const own = entry.columns[column];
  if (!own) throw new Error(`${table}.${column} is not in the register of personal data`);
  const { category, basis, retention, export: exportRule, erasure } = entry;
  return { category, basis, retention, export: exportRule, erasure, ...own };
}

/** On erasure the owner's rows are deleted when every column says `delete`, else kept with each column treated by its rule. */
export function erasureOfRows(table: PersonalTableName): 'delete' | 'keep' {
  const columns = Object.keys(PERSONAL_DATA[table].columns);
  return columns.every((column) => columnPolicy(table, column).erasure.action === 'delete') ? 'delete' : 'keep';
}

/** A table or column name of the register as quoted SQL; anything but a plain snake_case name is refused. */
export const sqlIdentifier = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return Prisma.raw(`"${name}"`);
};

/**
 * The SQL condition that selects the rows of `table` belonging to the user,
 * following `via` references; for tables whose rows cannot be attributed, none.
 */
export function ownerCondition(table: PersonalTableName, userId: string): Prisma.Sql | null {
  const owner: Owner = PERSONAL_DATA[table].owner;
  if ('none' in owner) return null;
  if (!('via' in owner)) return Prisma.sql`${sqlIdentifier(owner.column)} = ${userId}::uuid`;
  const parent = ownerCondition(owner.via.table as PersonalTableName, userId);
  if (!parent) throw new Error(`${table} refers to ${owner.via.table}, whose rows have no owner`);
  return Prisma.sql`${sqlIdentifier(owner.column)} IN (SELECT ${sqlIdentifier(owner.via.column)} FROM ${sqlIdentifier(owner.via.table)} WHERE ${parent})`;
}
