import { z, text, timestamp } from '../zod';
import { DEFAULT_MODEL_PRICES } from './models';
import { pageQuery } from '../pagination';
import { InputSchemaSchema, StoredInputSchema } from './input-schema';

const modelNames = Object.keys(DEFAULT_MODEL_PRICES) as [string, ...string[]];

const toolFields = {
  name: text({ min: 1, max: 100, trim: true }),
  description: text({ max: 2000, trim: true }),
  prompt: text({ min: 1, max: 20_000 }),
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

const TOOL_EXAMPLE = {
  name: 'Haiku writer',
  description: 'A haiku about any topic',
  prompt: 'Write a haiku about {{topic}}.',
  inputSchema: { type: 'object' as const, properties: { topic: { type: 'string' as const, minLength: 1, maxLength: 200 } }, required: ['topic'] },
  model: 'gpt-4o-mini',
  priceCredits: 10,
};

export const CreateToolBody = z.object(toolFields).strict().openapi('CreateToolRequest', { example: TOOL_EXAMPLE });
export const UpdateToolBody = z
  .object(toolFields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change')
  .openapi('UpdateToolRequest', { minProperties: 1 });

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
    createdAt: timestamp(),
    updatedAt: timestamp(),
    prompt: z.string().optional().openapi({ description: 'present only when the caller is the creator' }),
  })
  .openapi('Tool', {
    example: {
      id: '5d1c2b9e-8f0a-4e53-a1c7-6e2f9b3d4a10',
      creatorId: '9ce063a5-4477-4fbd-9c03-8151a0330190',
      ...TOOL_EXAMPLE,
      byomOnly: false,
      createdAt: new Date('2026-11-28T09:30:00.000Z'),
      updatedAt: new Date('2026-11-28T09:30:00.000Z'),
    },
  });

export const ToolEnvelope = z.object({ tool: Tool });

export const ListToolsQuery = pageQuery.extend({ creatorId: z.string().uuid().optional() });
