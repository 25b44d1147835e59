// Request and response shapes of the executions routes (they also make the OpenAPI document).
import { z } from '../zod';

export const StartBody = z
  .object({
    inputs: z.record(z.unknown()).openapi({ description: "the tool's inputs, checked against its inputSchema" }),
    providerKeyId: z.string().uuid().optional().openapi({ description: 'run on your own model key (BYOM) instead of the platform key' }),
    waitSeconds: z.number().int().min(0).max(60).optional().openapi({ description: 'wait up to this long and answer 200 with the output if the run finished' }),
  })
  .strict()
  .openapi('StartExecutionRequest');

const Status = z.enum(['pending', 'running', 'succeeded', 'failed']);
const Summary = {
  id: z.string().uuid(),
  toolId: z.string().uuid(),
  status: Status,
  costCredits: z.number().int().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  expiresAt: z.date(),
  purgedAt: z.date().nullable().openapi({ description: 'set once inputs and output were destroyed (expiry or deletion); content is then null' }),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
};
export const ExecutionSummary = z.object(Summary).openapi('ExecutionSummary');
export const Execution = z.object({ ...Summary, inputs: z.unknown(), output: z.string().nullable() }).openapi('Execution');
export const Started = z.object({ id: z.string().uuid(), status: Status }).openapi('StartedExecution');
