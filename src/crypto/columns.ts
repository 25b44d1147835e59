// Every encrypted column, in one list: where it lives, whose key encrypts it,
// and the AAD that binds each ciphertext to its row and column (a blob copied
// to another row or column fails to decrypt). Personal data is sealed under
// its owner's data key (./data-keys: erasing the user destroys that key, and
// with it every copy of the data); the data keys themselves are sealed under
// the keyring. Key rotation, the backfill, export and erasure walk this list,
// and the register of personal data (src/privacy) names each entry. A new
// encrypted column is added here first.
//
// Temporal payloads are not rows: the codec binds them to TEMPORAL_PAYLOAD_AAD.

export interface EncryptedColumn {
  /** Postgres table and column (snake_case, as in the migrations). */
  table: string;
  column: string;
  /** The table's primary key column, which the AAD names. */
  idColumn: string;
  /** Whose personal data it is (the owner's user id column), for the data key; the register's owner of the table (test/privacy/register.test.ts checks). */
  ownerColumn: string;
  /** 'owner': sealed under the owner's data key; 'keyring': under the keyring itself (the data keys, and addresses that must outlive the user's key). */
  keyedBy: 'owner' | 'keyring';
  /** What the plain text is: 'text' (default) or 'json' (e.g. a run's inputs), so an export can show it as JSON. */
  plaintext?: 'text' | 'json';
  aad(rowId: string): string;
}

const column = (table: string, name: string, aadPrefix: string, ownerColumn: string, idColumn = 'id', plaintext?: 'json'): EncryptedColumn => ({
  table,
  column: name,
  idColumn,
  ownerColumn,
  keyedBy: 'owner',
  ...(plaintext ? { plaintext } : {}),
  aad: (rowId) => `${aadPrefix}:${rowId}`,
});

export const ENCRYPTED_COLUMNS = {
  /** A creator's prompt template (their intellectual property; destroyed when the tool is deleted). */
  toolPrompt: column('tools', 'prompt_ciphertext', 'tools.prompt', 'creator_id'),
  /** A run's inputs, as JSON (destroyed at retention expiry). */
  executionInputs: column('executions', 'inputs_ciphertext', 'executions.inputs', 'user_id', 'id', 'json'),
  /** A run's model output (destroyed at retention expiry). */
  executionOutput: column('executions', 'output_ciphertext', 'executions.output', 'user_id'),
  /** A user's own model API key (BYOM). */
  providerKey: column('provider_keys', 'key_ciphertext', 'provider_keys.api_key', 'user_id'),
  /** Profile: the user's name, email address and avatar URL. */
  userName: column('users', 'name_ciphertext', 'users.name', 'id'),
  userEmail: column('users', 'email_ciphertext', 'users.email', 'id'),
  userAvatar: column('users', 'avatar_ciphertext', 'users.avatar_url', 'id'),
  /** The address a queued mail goes to (mail_outbox). */
  mailRecipient: column('mail_outbox', 'recipient_ciphertext', 'mail_outbox.recipient', 'user_id'),
  /** The address of a mail to someone with no account any more (the erasure confirmation), under the keyring. */
  mailSealedRecipient: { ...column('mail_outbox', 'sealed_recipient_ciphertext', 'mail_outbox.sealed_recipient', 'user_id'), keyedBy: 'keyring' },
  /** The address an erasure's confirmation goes to, captured at request time under the keyring (the user's key is destroyed first). */
  erasureRecipient: { ...column('erasure_requests', 'recipient_ciphertext', 'erasure_requests.recipient', 'user_id', 'request_id'), keyedBy: 'keyring' },
  /** A one-time secret a queued mail carries (a re-authentication code), until the mail is sent. */
  mailSecret: column('mail_outbox', 'secret_ciphertext', 'mail_outbox.secret', 'user_id'),
  /**
   * A slice of a user's data export (src/data-export), in order: the row id in the AAD is
   * "<request id>:<seq>", so a chunk moved to another export or position fails to decrypt.
   */
  dataExportChunk: column('privacy_export_chunks', 'ciphertext', 'privacy_export_chunks.ciphertext', 'user_id', 'request_id'),
  /**
   * A credit-monitoring enrolment code offered to a user affected by a breach (src/incidents); the
   * row id in the AAD is the incident's (the user's own key binds it to the user).
   */
  incidentOfferCode: column('incident_recipients', 'offer_code_ciphertext', 'incident_recipients.offer_code', 'user_id', 'incident_id'),
  /** Each user's data key, wrapped (sealed) under the keyring's current key; rotation re-wraps it. */
  userDataKey: { ...column('user_keys', 'wrapped_key', 'user_keys.data_key', 'user_id', 'user_id'), keyedBy: 'keyring' },
} as const satisfies Record<string, EncryptedColumn>;

export type EncryptedColumnName = keyof typeof ENCRYPTED_COLUMNS;

/** The AAD of every Temporal payload the codec encrypts. */
export const TEMPORAL_PAYLOAD_AAD = 'temporal.payload';
