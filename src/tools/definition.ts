// What makes a tool definition valid, checked when it is saved:
// - inputSchema is a JSON Schema object whose properties are scalar inputs
//   (they are substituted into text), and ajv compiles it in strict mode;
// - every {{placeholder}} in the prompt names a property, and every required
//   input exists.
import Ajv from 'ajv';
import { AppError } from '../api/errors';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean']);

export interface InputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: boolean;
}

export function placeholdersOf(prompt: string): string[] {
  return [...new Set([...prompt.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

export function checkToolDefinition(prompt: string, inputSchema: InputSchema): void {
  const problems: string[] = [];
  for (const [name, property] of Object.entries(inputSchema.properties)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) problems.push(`input "${name}": names are letters, digits and _`);
    if (typeof property.type !== 'string' || !SCALAR_TYPES.has(property.type)) {
      problems.push(`input "${name}": type must be one of string, number, integer, boolean`);
    }
  }
  for (const name of inputSchema.required ?? []) {
    if (!(name in inputSchema.properties)) problems.push(`required input "${name}" is not among the properties`);
  }
  try {
    new Ajv({ strict: true, allErrors: true }).compile(inputSchema);
  } catch (err) {
    problems.push(`inputSchema is not a valid JSON Schema: ${(err as Error).message}`);
  }
  if (problems.length > 0) throw new AppError(400, 'invalid_input_schema', 'the input schema is not valid', problems);

  const unknown = placeholdersOf(prompt).filter((name) => !(name in inputSchema.properties));
  if (unknown.length > 0) {
    throw new AppError(
      400,
      'invalid_prompt_template',
      'the prompt uses placeholders that are not inputs',
      unknown.map((name) => `{{${name}}} is not a property of inputSchema`),
    );
  }
}
