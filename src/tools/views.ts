// What clients see of a tool. The prompt is shown to its creator only.
import type { Tool } from '@prisma/client';
import type { InputSchema } from './input-schema';
import type { ToolService } from './service';

/** A live tool as `viewerId` may see it. */
export async function toolView(tools: ToolService, tool: Tool, viewerId: string | undefined) {
  const isCreator = viewerId === tool.creatorId;
  return {
    id: tool.id,
    creatorId: tool.creatorId,
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema as unknown as InputSchema,
    model: tool.model,
    priceCredits: tool.priceCredits,
    byomOnly: tool.byomOnly,
    createdAt: tool.createdAt,
    updatedAt: tool.updatedAt,
    ...(isCreator && tool.promptCiphertext ? { prompt: await tools.promptOf(tool) } : {}),
  };
}
