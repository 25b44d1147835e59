// What a run on the platform's model key may cost at most, decided before the
// model is called, so no run can spend the platform's key without holding it.
//
// Tokens are estimated from UTF-8 bytes: every token of a byte-level BPE
// tokenizer (OpenAI's) covers at least one byte, so bytes are an upper bound
// on tokens that costs O(n) to compute and cannot be gamed by the input.
//
// - A prompt is bounded: at most MAX_PROMPT_CHARS characters, and its estimated
//   tokens plus MODEL_MAX_OUTPUT_TOKENS must fit the model's context.
// - A run's worst-case cost: its prompt's estimated tokens and the maximum
//   output tokens at the model's price. A platform-key run holds at least that.
// - What a run costs, charged after the model answered: its token usage at the
//   price stored on the run at admission (a price change never reprices a run
//   in flight), rounded up, at least 1, never more than its hold.
// - A tool's worst-case cost: the same for the largest prompt its template and
//   input schema allow (capped by the prompt bound). A tool priced below it is
//   refused when saved, unless it is BYOM-only (it never runs on the platform key).
import { DEFAULT_MODEL_PRICES, type ModelPrice } from './models';
import { DomainError } from '../errors';
import { placeholderOccurrences } from '../executions/prompt';
import type { InputSchema } from './input-schema';

export interface PromptLimits {
  MAX_PROMPT_CHARS: number;
  MODEL_MAX_OUTPUT_TOKENS: number;
}

/** The model's current price; a model the platform does not price is refused (422 model_not_priced). */
export function modelPrice(model: string): ModelPrice {
  const price = Object.prototype.hasOwnProperty.call(DEFAULT_MODEL_PRICES, model) ? DEFAULT_MODEL_PRICES[model] : undefined;
  if (!price) throw new DomainError('model_not_priced', `the platform has no price for model "${model}"`);
  return price;
}

export interface RunPricing {
  reservedCredits: number;
  byom: boolean;
  model: string;
  creditsPer1kInputTokens: number | null;
  creditsPer1kOutputTokens: number | null;
}

/** What a finished run is charged (see the top of this file). */
export function costOfRun(run: RunPricing, usage: { promptTokens: number; completionTokens: number }): number {
  const held = run.reservedCredits;
  if (run.byom) return held; // BYOM: the model cost is the user's; the hold is the platform fee
  const price =
    run.creditsPer1kInputTokens !== null && run.creditsPer1kOutputTokens !== null
      ? { creditsPer1kInputTokens: run.creditsPer1kInputTokens, creditsPer1kOutputTokens: run.creditsPer1kOutputTokens }
      : DEFAULT_MODEL_PRICES[run.model]; // a run admitted before prices were stored on the record
  if (!price) return held;
  const raw = (usage.promptTokens * price.creditsPer1kInputTokens + usage.completionTokens * price.creditsPer1kOutputTokens) / 1000;
  return Math.min(held, Math.max(1, Math.ceil(raw)));
}

/** Largest prompt (estimated tokens) a run of `model` may send. */
export function promptTokenLimit(model: string, limits: PromptLimits): number {
  return Math.max(0, Math.min(limits.MAX_PROMPT_CHARS * 4, modelPrice(model).contextTokens - limits.MODEL_MAX_OUTPUT_TOKENS));
}

/** Credits for `promptTokens` in and the maximum output out, rounded up, at least 1. */
export function worstCaseCost(model: string, promptTokens: number, limits: PromptLimits): number {
  const price = modelPrice(model);
  const raw = (promptTokens * price.creditsPer1kInputTokens + limits.MODEL_MAX_OUTPUT_TOKENS * price.creditsPer1kOutputTokens) / 1000;
  return Math.max(1, Math.ceil(raw));
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Most UTF-8 bytes one input's text can have under its schema (Infinity when unbounded). */
function maxInputBytes(property: InputSchema['properties'][string] | undefined): number {
  if (!property) return 0;
  const choices = property.enum ?? (property.const !== undefined ? [property.const] : undefined);
  if (choices) return Math.max(...choices.map((v) => utf8Bytes(String(v))));
  switch (property.type) {
    case 'boolean':
      return 5;
    case 'number':
    case 'integer':
      return 24; // the longest String() of a double: "-1.7976931348623157e+308"
    default:
      return property.maxLength === undefined ? Infinity : property.maxLength * 4; // maxLength counts code points; ≤ 4 bytes each
  }
}

/** Estimated tokens of the largest prompt this tool can render, within the prompt bound. */
export function toolPromptTokenBound(template: string, schema: InputSchema, model: string, limits: PromptLimits): number {
  const { literalText, occurrences } = placeholderOccurrences(template);
  let bytes = utf8Bytes(literalText);
  for (const [name, times] of occurrences) bytes += times * maxInputBytes(schema.properties[name]);
  return Math.min(bytes, promptTokenLimit(model, limits));
}

/** The least a tool on the platform key may be priced at. */
export function minimumToolPrice(template: string, schema: InputSchema, model: string, limits: PromptLimits): number {
  return worstCaseCost(model, toolPromptTokenBound(template, schema, model, limits), limits);
}
