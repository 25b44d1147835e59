// What makes a tool definition valid, checked when it is saved:
// - inputSchema is the flat subset of JSON Schema in ./input-schema (zod checks
//   its shape at the edge); here: every pattern compiles in RE2 within bounds,
//   Ajv compiles the whole schema in strict mode, and every required input exists;
// - every {{placeholder}} in the prompt names a property.
import { DomainError } from '../errors';
import { compileProblem, patternProblems, type InputSchema } from './input-schema';

export type { InputSchema } from './input-schema';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function placeholdersOf(prompt: string): string[] {
  return [...new Set([...prompt.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

export function checkToolDefinition(prompt: string, inputSchema: InputSchema): void {
  const problems: string[] = [];
  for (const name of inputSchema.required ?? []) {
    if (!(name in inputSchema.properties)) problems.push(`required input "${name}" is not among the properties`);
  }
  problems.push(...patternProblems(inputSchema));
  if (problems.length === 0) {
    const complaint = compileProblem(inputSchema);
    if (complaint) problems.push(`inputSchema is not a valid JSON Schema: ${complaint}`);
  }
  if (problems.length > 0) throw new DomainError('invalid_input_schema', 'the input schema is not valid', problems);

  const unknown = placeholdersOf(prompt).filter((name) => !(name in inputSchema.properties));
  if (unknown.length > 0) {
    throw new DomainError('invalid_prompt_template', 'the prompt uses placeholders that are not inputs',
      unknown.map((name) => `{{${name}}} is not a property of inputSchema`),
    );
  }
}
