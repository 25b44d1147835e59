// zod, extended with `.openapi()` metadata. Schema modules import z from here
// so the extension is always in place before any schema is built.
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z);

export { z };

/** A string's length as JSON Schema counts it: in Unicode code points, not UTF-16 code units. */
export const charLength = (value: string): number => [...value].length;

/**
 * Text the server accepts, as a JSON Schema pattern: no NUL (Postgres text cannot hold it;
 * src/api/text-safety.ts refuses it in every body and query). Unpaired UTF-16 surrogates are
 * refused too; no regex dialect shared by JSON Schema tools can name them, so the
 * description says it. `nonBlank` also needs a non-space character.
 */
export const SAFE_TEXT_PATTERN = '^[^\\x00]*$';
const NON_BLANK_SAFE_TEXT_PATTERN = '^[^\\x00]*[^\\s\\x00][^\\x00]*$';
const SAFE_TEXT_NOTE = 'text without NUL or unpaired surrogates';

/**
 * A string bounded in characters (code points), exactly as its OpenAPI minLength /
 * maxLength say, and documented as safe text. `trim`: the value must contain a
 * non-space character and is stored trimmed; the bounds apply to what was sent.
 */
export function text(bounds: { min?: number; max: number; trim?: boolean }) {
  const min = bounds.min ?? 0;
  const nonBlank = Boolean(bounds.trim && min > 0);
  const checked = z
    .string()
    .superRefine((value, ctx) => {
      const length = charLength(value);
      if (length < min) ctx.addIssue({ code: z.ZodIssueCode.too_small, minimum: min, type: 'string', inclusive: true, message: `use at least ${min} characters` });
      if (length > bounds.max) ctx.addIssue({ code: z.ZodIssueCode.too_big, maximum: bounds.max, type: 'string', inclusive: true, message: `use at most ${bounds.max} characters` });
      if (nonBlank && !/\S/.test(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not be blank' });
    })
    .openapi({
      minLength: min > 0 ? min : undefined,
      maxLength: bounds.max,
      pattern: nonBlank ? NON_BLANK_SAFE_TEXT_PATTERN : SAFE_TEXT_PATTERN,
      description: nonBlank ? `${SAFE_TEXT_NOTE}, not blank` : SAFE_TEXT_NOTE,
    });
  return bounds.trim ? checked.transform((value) => value.trim()) : checked;
}

/** The email addresses accepted, as one pattern the server checks and the OpenAPI document states. */
export const EMAIL_PATTERN = "^[A-Za-z0-9_'+-]+(\\.[A-Za-z0-9_'+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$";
const emailRegex = new RegExp(EMAIL_PATTERN);

/** An email address (stored lower-case). */
export const email = () =>
  z
    .string()
    .max(254)
    .regex(emailRegex, 'must be an email address like name@example.com')
    .openapi({ pattern: EMAIL_PATTERN, maxLength: 254, example: 'ada@example.com', description: 'an email address (the pattern is the one the server enforces)' })
    .transform((value) => value.toLowerCase());

/** A point in time: a Date in code, an RFC 3339 string on the wire. */
export const timestamp = () => z.date().openapi({ format: 'date-time', example: '2026-11-28T09:30:00.000Z' });
