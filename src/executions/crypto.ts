/** AAD for an execution's ciphertexts: a blob copied to another row or column fails to decrypt. */
export const executionAad = {
  inputs: (id: string) => `executions.inputs:${id}`,
  output: (id: string) => `executions.output:${id}`,
};
