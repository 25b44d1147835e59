// Tools: a creator's prompt, input schema, model and price. The prompt is
// encrypted at rest (AAD binds it to the tool's row) and shown to its creator
// only. Deleting a tool destroys the prompt at once: the ciphertext column is
// set to NULL and the row stays as a tombstone for the ledger's references.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient, Tool } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
import { DomainError, notFound } from '../errors';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { checkToolDefinition, type InputSchema } from './definition';
import { newestFirst } from '../pagination';
import { minimumToolPrice, modelPrice, type PromptLimits } from './pricing';

export interface ToolDefinition {
  name: string;
  description: string;
  prompt: string;
  inputSchema: InputSchema;
  model: string;
  priceCredits: number;
  byomOnly?: boolean;
}

const PROMPT = ENCRYPTED_COLUMNS.toolPrompt;

export function createToolService(prisma: PrismaClient, dataKeys: DataKeys, limits: PromptLimits) {
  /** Everything a saved tool must satisfy: a valid definition, and a price covering its worst-case model cost. */
  function checkDefinition(def: ToolDefinition) {
    checkToolDefinition(def.prompt, def.inputSchema);
    modelPrice(def.model); // a model the platform does not price is refused, BYOM-only tools included
    if (def.byomOnly) return;
    const minimum = minimumToolPrice(def.prompt, def.inputSchema, def.model, limits);
    if (def.priceCredits < minimum) {
      throw new DomainError('price_below_model_cost', `a run of this tool can cost up to ${minimum} credits on the platform's model key: price it at least that, bound its inputs (maxLength), or make it BYOM-only`,
        { minimumPriceCredits: minimum },
      );
    }
  }

  async function findLive(id: string) {
    const tool = await prisma.tool.findFirst({ where: { id, deletedAt: null } });
    if (!tool) throw notFound('tool');
    return tool;
  }

  /** The creator's live tool, or 404 for everyone else (not 403: ids reveal nothing). */
  async function findOwned(id: string, creatorId: string) {
    const tool = await findLive(id);
    if (tool.creatorId !== creatorId) throw notFound('tool');
    return tool;
  }

  return {
    /** `id` is for seeding fixed demo data; the API always lets the server choose. */
    async create(creatorId: string, def: ToolDefinition, id: string = randomUUID()) {
      checkDefinition(def);
      return prisma.tool.create({
        data: {
          id,
          creatorId,
          name: def.name,
          description: def.description,
          promptCiphertext: await dataKeys.seal(PROMPT, id, creatorId, def.prompt),
          inputSchema: def.inputSchema as unknown as Prisma.InputJsonValue,
          model: def.model,
          priceCredits: def.priceCredits,
          byomOnly: def.byomOnly ?? false,
        },
      });
    },

    get: findLive,

    /** The prompt of a live tool, in clear (for its creator's view and for measuring a run's prompt). */
    promptOf(tool: Tool): Promise<string> {
      if (!tool.promptCiphertext) throw notFound('tool');
      return dataKeys.open(PROMPT, tool.id, tool.creatorId, tool.promptCiphertext);
    },

    list(filter: { creatorId?: string }, after: object, limit: number) {
      return prisma.tool.findMany({
        where: { deletedAt: null, ...(filter.creatorId ? { creatorId: filter.creatorId } : {}), ...after },
        orderBy: newestFirst,
        take: limit + 1,
      });
    },

    async update(id: string, creatorId: string, changes: Partial<ToolDefinition>) {
      const tool = await findOwned(id, creatorId);
      checkDefinition({
        name: changes.name ?? tool.name,
        description: changes.description ?? tool.description,
        prompt: changes.prompt ?? (await dataKeys.open(PROMPT, id, tool.creatorId, tool.promptCiphertext as Uint8Array)),
        inputSchema: changes.inputSchema ?? (tool.inputSchema as unknown as InputSchema),
        model: changes.model ?? tool.model,
        priceCredits: changes.priceCredits ?? tool.priceCredits,
        byomOnly: changes.byomOnly ?? tool.byomOnly,
      });
      return prisma.tool.update({
        where: { id },
        data: {
          ...(changes.name !== undefined ? { name: changes.name } : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.model !== undefined ? { model: changes.model } : {}),
          ...(changes.priceCredits !== undefined ? { priceCredits: changes.priceCredits } : {}),
          ...(changes.byomOnly !== undefined ? { byomOnly: changes.byomOnly } : {}),
          ...(changes.inputSchema ? { inputSchema: changes.inputSchema as unknown as Prisma.InputJsonValue } : {}),
          ...(changes.prompt ? { promptCiphertext: await dataKeys.seal(PROMPT, id, tool.creatorId, changes.prompt) } : {}),
        },
      });
    },

    async remove(id: string, creatorId: string) {
      await findOwned(id, creatorId);
      await prisma.tool.update({ where: { id }, data: { promptCiphertext: null, deletedAt: new Date() } });
    },
  };
}

export type ToolService = ReturnType<typeof createToolService>;
