// A tool's input schema: the small, flat subset of JSON Schema that the
// platform accepts, and the validator that checks a run's inputs against it.
//
// Hardening (any signed-in user writes these schemas, and every run is checked
// against them before a single credit is held):
// - Flat: an object whose properties are scalars with a fixed list of keywords.
//   No nesting, no $ref, no combinators, so size and depth are bounded by the
//   shape itself (at most 50 inputs, 100 enum values each, short strings).
// - `pattern` runs on RE2 (re2js, a linear-time engine), never on V8's
//   backtracking RegExp: `^(a+)+$` against "aaaa…a!" costs microseconds, not
//   the event loop. Patterns RE2 cannot compile (backreferences, lookarounds)
//   are refused when the tool is saved.
import Ajv, { type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';
import { z, text } from '../zod';

export const MAX_INPUTS = 50;
export const MAX_ENUM_VALUES = 100;
export const MAX_PATTERN_LENGTH = 500;
/** RE2 program size (instructions) above which a pattern is refused: bounds memory and per-character cost. */
export const MAX_PATTERN_PROGRAM = 5_000;

const shortText = (max: number) => text({ max });
const scalar = z.union([text({ max: 1000 }), z.number().finite(), z.boolean()]);

const finite = z.number().finite();
const count = z.number().int().min(0).max(1_000_000);

export const InputPropertySchema = z
  .object({
    type: z.enum(['string', 'number', 'integer', 'boolean']),
    title: shortText(200).optional(),
    description: shortText(2000).optional(),
    minLength: count.optional(),
    maxLength: count.optional(),
    pattern: shortText(MAX_PATTERN_LENGTH).optional(),
    enum: z.array(scalar).min(1).max(MAX_ENUM_VALUES).optional(),
    const: scalar.optional(),
    minimum: finite.optional(),
    maximum: finite.optional(),
    exclusiveMinimum: finite.optional(),
    exclusiveMaximum: finite.optional(),
    multipleOf: finite.positive().optional(),
    default: scalar.optional(),
    examples: z.array(scalar).max(10).optional(),
  })
  .strict()
  .openapi('ToolInputProperty', {
    description: 'One input: a scalar with these JSON Schema keywords only (pattern: RE2 syntax, no backreferences or lookarounds)',
  });

export const PROPERTY_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
export const propertyName = z
  .string()
  .regex(new RegExp(PROPERTY_NAME), 'input names are letters, digits and _ (at most 64)')
  .openapi({ pattern: PROPERTY_NAME });

const inputSchemaFields = {
  type: z.literal('object'),
  properties: z
    .record(propertyName, InputPropertySchema)
    .refine((p) => Object.keys(p).length <= MAX_INPUTS, `at most ${MAX_INPUTS} inputs`)
    // propertyNames is JSON Schema 2020-12 (the OpenAPI 3.1 document); the 3.0 typings do not know it.
    .openapi({ maxProperties: MAX_INPUTS, ...({ propertyNames: { type: 'string', pattern: PROPERTY_NAME } } as object) }),
  required: z.array(propertyName).max(MAX_INPUTS).optional().openapi({ description: 'names among properties' }),
  additionalProperties: z.boolean().optional(),
  description: shortText(2000).optional(),
  title: shortText(200).optional(),
};

/** What a creator may send (unknown keywords refused). */
export const InputSchemaSchema = z
  .object(inputSchemaFields)
  .strict()
  .openapi('ToolInputSchema', { description: 'JSON Schema of the inputs: a flat object of scalar inputs' });

/** What the API shows: the same shape, read leniently so a row saved under older rules still displays. */
export const StoredInputSchema = z
  .object({ ...inputSchemaFields, properties: z.record(z.record(z.unknown())) })
  .passthrough()
  .openapi('ToolInputSchemaView');

export type InputSchema = z.infer<typeof InputSchemaSchema>;

/** A run's inputs: named scalars (the tool's input schema then says which, and of what kind). */
export const RunInputs = z
  .record(
    propertyName,
    z.union([text({ max: 100_000 }), z.number().finite(), z.boolean()]),
  )
  .refine((inputs) => Object.keys(inputs).length <= MAX_INPUTS, `at most ${MAX_INPUTS} inputs`)
  .openapi({
    description: "the tool's inputs by name (scalars), checked against its inputSchema",
    maxProperties: MAX_INPUTS,
    ...({ propertyNames: { type: 'string', pattern: PROPERTY_NAME } } as object),
  });

/** Ajv's RegExp engine interface, backed by RE2 (JSON Schema patterns are unanchored searches). */
function re2Engine(pattern: string): { test: (s: string) => boolean } {
  const compiled = RE2JS.compile(pattern);
  return { test: (s: string) => compiled.test(s) };
}
re2Engine.code = 'require("re2js").RE2JS'; // only used by Ajv's standalone code generation, which we do not use

/** Problems with each pattern (RE2 syntax and size), as messages for the creator. */
export function patternProblems(schema: InputSchema): string[] {
  const problems: string[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (property.pattern === undefined) continue;
    try {
      const program = RE2JS.compile(property.pattern).programSize();
      if (program > MAX_PATTERN_PROGRAM) problems.push(`input "${name}": pattern is too complex (${program} RE2 instructions, at most ${MAX_PATTERN_PROGRAM})`);
    } catch (err) {
      problems.push(`input "${name}": pattern is not valid RE2 syntax (${(err as Error).message})`);
    }
  }
  return problems;
}

function newAjv(strict: boolean): Ajv {
  return new Ajv({ strict, allErrors: true, code: { regExp: re2Engine as never } });
}

/** Compiles a creator's schema in strict mode; returns Ajv's complaint, if any. */
export function compileProblem(schema: InputSchema): string | undefined {
  try {
    newAjv(true).compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const runtimeAjv = newAjv(false);

/** The validator for a run's inputs: exactly the declared properties (nothing extra reaches the prompt). */
export function inputValidator(schema: unknown): ValidateFunction {
  return runtimeAjv.compile({ ...(schema as object), additionalProperties: false });
}
