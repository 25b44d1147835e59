import { z } from '../zod';
import { DEFAULT_MODEL_PRICES } from './models';
import { pageQuery } from '../pagination';
import { InputSchemaSchema, StoredInputSchema } from './input-schema';

const modelNames = Object.keys(DEFAULT_MODEL_PRICES) as [string, ...string[]];

const toolFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000),
  prompt: z.string().min(1).max(20_000),
  inputSchema: InputSchemaSchema,
  model: z.enum(modelNames),
  priceCredits: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .openapi({ description: 'credits held per run and charged at most; at least the worst-case model cost of a run (see byomOnly)' }),
  byomOnly: z
    .boolean()
    .optional()
    .openapi({ description: "runs only with the user's own provider key (BYOM); may then be priced below the model cost" }),
};

export const CreateToolBody = z.object(toolFields).strict().openapi('CreateToolRequest');
export const UpdateToolBody = z
  .object(toolFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .openapi('UpdateToolRequest');

export const Tool = z
  .object({
    id: z.string().uuid(),
    creatorId: z.string().uuid(),
    name: z.string(),
    description: z.string(),
    inputSchema: StoredInputSchema,
    model: z.string(),
    priceCredits: z.number().int(),
    byomOnly: z.boolean(),
    createdAt: z.date(),
    updatedAt: z.date(),
    prompt: z.string().optional().openapi({ description: 'present only when the caller is the creator' }),
  })
  .openapi('Tool');

export const ToolEnvelope = z.object({ tool: Tool });

export const ListToolsQuery = pageQuery.extend({ creatorId: z.string().uuid().optional() });
