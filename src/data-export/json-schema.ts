// The JSON Schema (draft 2020-12) of the export file, made from the same plan as the
// file (./plan.ts, from the register) and the column types of the Prisma schema.
// Published as docs/privacy-export.schema.json by `npm run docs:privacy`; a test
// fails when the published file differs from what this makes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { $Enums, Prisma } from '@prisma/client';
import { EXPORT_FORMAT_VERSION, exportPlan, type ExportedColumn } from './plan';

type JsonSchema = Record<string, unknown>;

export const EXPORT_SCHEMA_ID = `urn:sotally:privacy-export:v${EXPORT_FORMAT_VERSION}`;

const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

/** `model.field` names of the list fields (e.g. `User.roles`): the runtime data model does not say which fields are lists. */
function listFields(): Set<string> {
  const text = readFileSync(path.resolve(__dirname, '..', '..', 'prisma', 'schema.prisma'), 'utf8');
  const lists = new Set<string>();
  for (const block of text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    for (const field of (block[2] ?? '').matchAll(/^\s+(\w+)\s+\w+\[\]/gm)) lists.add(`${block[1]}.${field[1]}`);
  }
  return lists;
}

/** A column's value in the file, from its Prisma type (every value may be null). */
function valueSchema(table: string, c: ExportedColumn, lists: Set<string>): JsonSchema {
  if (c.maskedAs !== undefined) return { description: `masked: shown as "${c.maskedAs}" when set`, enum: [c.maskedAs, null] };
  if (c.encrypted) {
    const what = `stored encrypted under your data key (${c.encrypted.column}), decrypted for you`;
    return c.encrypted.plaintext === 'json' ? { description: `${what}: JSON` } : nullable({ type: 'string', description: what });
  }
  const model = Prisma.dmmf.datamodel.models.find((m) => (m.dbName ?? m.name) === table);
  const field = model?.fields.find((f) => (f.dbName ?? f.name) === c.column);
  if (!field) return {};
  const enums = $Enums as unknown as Record<string, Record<string, string>>;
  const scalar = (): JsonSchema => {
    if (field.kind === 'enum') return { enum: Object.values(enums[field.type] ?? {}) };
    switch (field.type) {
      case 'String':
        return { type: 'string' };
      case 'Int':
      case 'BigInt':
        return { type: 'integer' };
      case 'Float':
      case 'Decimal':
        return { type: 'number' };
      case 'Boolean':
        return { type: 'boolean' };
      case 'DateTime':
        return { $ref: '#/$defs/timestamp' };
      default:
        return {}; // Json: any JSON value
    }
  };
  const one = scalar();
  return Object.keys(one).length === 0 ? {} : nullable(lists.has(`${model?.name}.${field.name}`) ? { type: 'array', items: one } : one);
}

export function exportJsonSchema(): JsonSchema {
  const plan = exportPlan();
  const lists = listFields();
  const tables: Record<string, JsonSchema> = {};
  for (const t of plan.tables) {
    tables[t.table] = {
      type: 'object',
      description: t.holds,
      additionalProperties: false,
      required: ['category', 'holds', 'excluded', 'masked', 'rows'],
      properties: {
        category: { const: t.category },
        holds: { type: 'string' },
        excluded: { type: 'object', description: 'columns left out of the export, and why', additionalProperties: { type: 'string' } },
        masked: { type: 'object', description: 'columns whose value is replaced, and why', additionalProperties: { type: 'string' } },
        rows: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: t.columns.map((c) => c.name),
            properties: Object.fromEntries(t.columns.map((c) => [c.name, valueSchema(t.table, c, lists)])),
          },
        },
      },
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: EXPORT_SCHEMA_ID,
    title: 'Sotally: export of your personal data',
    description:
      'Every table of the register of personal data (src/privacy/register.ts) that holds rows of yours, one key per table, with each row as stored: ' +
      'encrypted values decrypted, masked ones replaced, excluded ones left out (each table says which and why). Timestamps are ISO-8601 UTC. See docs/privacy-export.md.',
    type: 'object',
    additionalProperties: false,
    required: ['formatVersion', 'exportedAt', 'requestId', 'userId', 'tables', 'notIncluded', 'summary'],
    properties: {
      formatVersion: { const: EXPORT_FORMAT_VERSION, description: 'raised when a reader must change to read the file' },
      exportedAt: { $ref: '#/$defs/timestamp' },
      requestId: { type: 'string', format: 'uuid', description: 'the privacy request this export answers' },
      userId: { type: 'string', format: 'uuid' },
      tables: { type: 'object', additionalProperties: false, required: plan.tables.map((t) => t.table), properties: tables },
      notIncluded: {
        type: 'object',
        description: 'registered tables that are not in the export, and why',
        additionalProperties: { type: 'string' },
      },
      summary: {
        type: 'object',
        additionalProperties: false,
        required: ['rows', 'unreadableValues'],
        properties: {
          rows: { type: 'object', description: 'rows exported per table', additionalProperties: { type: 'integer', minimum: 0 } },
          unreadableValues: { type: 'integer', minimum: 0, description: 'encrypted values no key could open (exported as null); 0 in a healthy system' },
        },
      },
    },
    $defs: {
      timestamp: { type: 'string', format: 'date-time', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
    },
  };
}

/** The published file's text (docs/privacy-export.schema.json). */
export const renderExportJsonSchema = () => `${JSON.stringify(exportJsonSchema(), null, 2)}\n`;
