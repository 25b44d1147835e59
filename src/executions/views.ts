// What clients see of a run: a summary in lists; inputs and output (decrypted)
// only in the owner's view of one run (null when the run stored none, e.g. a failure).
import type { Execution } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
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

export async function executionView(dataKeys: DataKeys, execution: Execution) {
  const { executionInputs, executionOutput } = ENCRYPTED_COLUMNS;
  const open = (column: typeof executionInputs, blob: Uint8Array | null) => (blob ? dataKeys.open(column, execution.id, execution.userId, blob) : null);
  const inputs = await open(executionInputs, execution.inputsCiphertext);
  return {
    ...executionSummaryView(execution),
    inputs: inputs === null ? null : (JSON.parse(inputs) as unknown),
    output: await open(executionOutput, execution.outputCiphertext),
  };
}
