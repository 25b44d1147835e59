// Request and response shapes of the executions routes (they also make the OpenAPI document).
import { z, timestamp } from '../zod';
import { RunInputs } from '../tools/input-schema';

export const StartBody = z
  .object({
    inputs: RunInputs,
    providerKeyId: z.string().uuid().optional().openapi({ description: 'run on your own model key (BYOM) instead of the platform key' }),
    waitSeconds: z.number().int().min(0).max(60).optional().openapi({ description: 'wait up to this long and answer 200 with the output if the run finished' }),
  })
  .strict()
  .openapi('StartExecutionRequest', { example: { inputs: { topic: 'autumn rain' }, waitSeconds: 20 } });

const Status = z.enum(['pending', 'running', 'succeeded', 'failed']);
const Summary = {
  id: z.string().uuid(),
  toolId: z.string().uuid(),
  status: Status,
  costCredits: z.number().int().nullable(),
  createdAt: timestamp(),
  finishedAt: timestamp().nullable(),
  expiresAt: timestamp().openapi({ description: 'when the whole record is deleted (90 days after the run by default); after that only the ledger names the run' }),
  usage: z.object({ promptTokens: z.number().int(), completionTokens: z.number().int() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
};
export const ExecutionSummary = z.object(Summary).openapi('ExecutionSummary');
export const Execution = z
  .object({ ...Summary, inputs: z.unknown(), output: z.string().nullable() })
  .openapi('Execution', {
    example: {
      id: '0f8b7a52-3a57-4c1e-9d0e-2b6f4c1a9e01',
      toolId: '5d1c2b9e-8f0a-4e53-a1c7-6e2f9b3d4a10',
      status: 'succeeded',
      costCredits: 1,
      createdAt: new Date('2026-11-28T09:30:00.000Z'),
      finishedAt: new Date('2026-11-28T09:30:01.200Z'),
      expiresAt: new Date('2027-02-26T09:30:00.000Z'),
      usage: { promptTokens: 12, completionTokens: 17 },
      error: null,
      inputs: { topic: 'autumn rain' },
      output: 'Cold drops on the eaves / ...',
    },
  });
export const Started = z.object({ id: z.string().uuid(), status: Status }).openapi('StartedExecution');
