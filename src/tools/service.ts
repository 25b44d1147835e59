// Tools: a creator's prompt, input schema, model and price. The prompt is
// encrypted at rest (AAD binds it to the tool's row) and shown to its creator
// only. Deleting a tool destroys the prompt at once: the ciphertext column is
// set to NULL and the row stays as a tombstone for the ledger's references.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient, Tool } from '@prisma/client';
import type { DataKeys } from '../crypto/data-keys';
import { sqlPool } from '../db';
import { DomainError, notFound } from '../errors';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { checkToolDefinition, type InputSchema } from './definition';
import type { Cursor } from '../pagination';
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

// The two reads every visitor and every run makes (the public list, one tool) are prepared
// statements on the pool Prisma uses, past its query compiler (docs/BENCHMARKS.md, "API reads").
const TOOL_COLUMNS = 'id, creator_id, name, description, prompt_ciphertext, input_schema, model, price_credits, byom_only, created_at, updated_at, deleted_at';

interface ToolRow {
  id: string;
  creator_id: string;
  name: string;
  description: string;
  prompt_ciphertext: Buffer | null;
  input_schema: Prisma.JsonValue;
  model: string;
  price_credits: number;
  byom_only: boolean;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

function toTool(row: ToolRow): Tool {
  return {
    id: row.id,
    creatorId: row.creator_id,
    name: row.name,
    description: row.description,
    promptCiphertext: row.prompt_ciphertext === null ? null : new Uint8Array(row.prompt_ciphertext),
    inputSchema: row.input_schema,
    model: row.model,
    priceCredits: row.price_credits,
    byomOnly: row.byom_only,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/**
 * The live tools, newest first, optionally of one creator and after a cursor: one statement per
 * shape, so each has a plan of its own ((created_at, id) walks the index backwards).
 */
function buildListStatement(byCreator: boolean, afterCursor: boolean) {
  const conditions = ['deleted_at IS NULL'];
  let n = 0;
  if (byCreator) conditions.push(`creator_id = $${(n += 1)}::uuid`);
  if (afterCursor) conditions.push(`(created_at, id) < ($${(n += 1)}::timestamptz, $${(n += 1)}::uuid)`);
  return {
    name: `tools-list${byCreator ? '-by-creator' : ''}${afterCursor ? '-after' : ''}`,
    text: `SELECT ${TOOL_COLUMNS} FROM tools WHERE ${conditions.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${n + 1}`,
  };
}

/** The four shapes, built once: [by creator][after a cursor]. */
const LIST_STATEMENTS = [false, true].map((byCreator) => [false, true].map((afterCursor) => buildListStatement(byCreator, afterCursor)));
const listStatement = (byCreator: boolean, afterCursor: boolean) => LIST_STATEMENTS[Number(byCreator)]![Number(afterCursor)]!;

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
    const { rows } = await sqlPool(prisma).query<ToolRow>({
      name: 'tools-get-live',
      text: `SELECT ${TOOL_COLUMNS} FROM tools WHERE id = $1::uuid AND deleted_at IS NULL`,
      values: [id],
    });
    if (!rows[0]) throw notFound('tool');
    return toTool(rows[0]);
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

    /** One page of live tools (limit + 1 rows, so the caller knows whether there is a next page). */
    async list(filter: { creatorId?: string }, cursor: Cursor | undefined, limit: number) {
      const byCreator = filter.creatorId !== undefined;
      const values: unknown[] = [];
      if (byCreator) values.push(filter.creatorId);
      if (cursor) values.push(cursor.createdAt, cursor.id);
      values.push(limit + 1);
      const { rows } = await sqlPool(prisma).query<ToolRow>({ ...listStatement(byCreator, cursor !== undefined), values });
      return rows.map(toTool);
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
