import { z } from '../api/zod';
import { DEFAULT_MODEL_PRICES } from './models';
import { pageQuery } from '../api/pagination';

const jsonSchemaProperty = z.record(z.unknown());

export const InputSchemaSchema = z
  .object({
    type: z.literal('object'),
    properties: z.record(jsonSchemaProperty).refine((p) => Object.keys(p).length <= 50, 'at most 50 inputs'),
    required: z.array(z.string()).max(50).optional(),
    additionalProperties: z.boolean().optional(),
    description: z.string().max(2000).optional(),
    title: z.string().max(200).optional(),
  })
  .strict()
  .openapi('ToolInputSchema', { description: 'JSON Schema of the inputs; each property is a string, number, integer or boolean' });

const modelNames = Object.keys(DEFAULT_MODEL_PRICES) as [string, ...string[]];

const toolFields = {
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000),
  prompt: z.string().min(1).max(20_000),
  inputSchema: InputSchemaSchema,
  model: z.enum(modelNames),
  priceCredits: z.number().int().min(0).max(1_000_000),
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
    inputSchema: InputSchemaSchema,
    model: z.string(),
    priceCredits: z.number().int(),
    createdAt: z.date(),
    updatedAt: z.date(),
    prompt: z.string().optional().openapi({ description: 'present only when the caller is the creator' }),
  })
  .openapi('Tool');

export const ToolEnvelope = z.object({ tool: Tool });

export const ListToolsQuery = pageQuery.extend({ creatorId: z.string().uuid().optional() });
