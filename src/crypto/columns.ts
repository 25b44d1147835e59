// Every encrypted column, in one list: where it lives and the AAD that binds
// each ciphertext to its row and column (a blob copied to another row or
// column fails to decrypt). The keyring seals and opens values through these
// entries, key rotation re-encrypts exactly these columns, and the export and
// erasure features walk this list. A new encrypted column is added here first.
//
// Temporal payloads are not rows: the codec binds them to TEMPORAL_PAYLOAD_AAD.

export interface EncryptedColumn {
  /** Postgres table and column (snake_case, as in the migrations). */
  table: string;
  column: string;
  /** The table's primary key column, which the AAD names. */
  idColumn: string;
  /** Whose personal data it is, when it is (the owner's user id column), for export and erasure. */
  ownerColumn: string | null;
  aad(rowId: string): string;
}

const column = (table: string, name: string, aadPrefix: string, ownerColumn: string | null): EncryptedColumn => ({
  table,
  column: name,
  idColumn: 'id',
  ownerColumn,
  aad: (rowId) => `${aadPrefix}:${rowId}`,
});

export const ENCRYPTED_COLUMNS = {
  /** A creator's prompt template (their intellectual property; destroyed when the tool is deleted). */
  toolPrompt: column('tools', 'prompt_ciphertext', 'tools.prompt', 'creator_id'),
  /** A run's inputs, as JSON (destroyed at retention expiry). */
  executionInputs: column('executions', 'inputs_ciphertext', 'executions.inputs', 'user_id'),
  /** A run's model output (destroyed at retention expiry). */
  executionOutput: column('executions', 'output_ciphertext', 'executions.output', 'user_id'),
  /** A user's own model API key (BYOM). */
  providerKey: column('provider_keys', 'key_ciphertext', 'provider_keys.api_key', 'user_id'),
} as const satisfies Record<string, EncryptedColumn>;

export type EncryptedColumnName = keyof typeof ENCRYPTED_COLUMNS;

/** The AAD of every Temporal payload the codec encrypts. */
export const TEMPORAL_PAYLOAD_AAD = 'temporal.payload';
