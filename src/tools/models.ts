// The models the platform prices. Every tool names one of these; runs are
// charged from this table (credits per 1,000 tokens, rounded up) and prompts
// are bounded by the model's context window.
export interface ModelPrice {
  creditsPer1kInputTokens: number;
  creditsPer1kOutputTokens: number;
  /** Context window in tokens: prompt + output must fit. */
  contextTokens: number;
}

export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-4o-mini': { creditsPer1kInputTokens: 1, creditsPer1kOutputTokens: 4, contextTokens: 128_000 },
  'gpt-4o': { creditsPer1kInputTokens: 10, creditsPer1kOutputTokens: 40, contextTokens: 128_000 },
  'gpt-4.1-mini': { creditsPer1kInputTokens: 2, creditsPer1kOutputTokens: 8, contextTokens: 1_000_000 },
  'gpt-4.1': { creditsPer1kInputTokens: 8, creditsPer1kOutputTokens: 32, contextTokens: 1_000_000 },
});
