// What clients see of a run: a summary in lists; inputs and output (decrypted)
// only in the owner's view of one run (null when the run stored none, e.g. a failure).
import type { Execution } from '@prisma/client';
import type { Keyring } from '../crypto/keyring';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';

export function executionSummaryView(execution: Execution) {
  return {
    id: execution.id,
    toolId: execution.toolId,
    status: execution.status,
    costCredits: execution.costCredits,
    createdAt: execution.createdAt,
    finishedAt: execution.finishedAt,
    expiresAt: execution.expiresAt,
    usage: execution.promptTokens === null ? null : { promptTokens: execution.promptTokens, completionTokens: execution.completionTokens ?? 0 },
    error: execution.errorCode ? { code: execution.errorCode, message: execution.errorMessage ?? '' } : null,
  };
}

export function executionView(keyring: Keyring, execution: Execution) {
  const { executionInputs, executionOutput } = ENCRYPTED_COLUMNS;
  return {
    ...executionSummaryView(execution),
    inputs: execution.inputsCiphertext ? (JSON.parse(keyring.open(executionInputs, execution.id, execution.inputsCiphertext)) as unknown) : null,
    output: execution.outputCiphertext ? keyring.open(executionOutput, execution.id, execution.outputCiphertext) : null,
  };
}
