// The models the platform prices. Every tool names one of these; the execution
// workflow charges from this table (credits per 1,000 tokens, rounded up).
export interface ModelPrice {
  creditsPer1kInputTokens: number;
  creditsPer1kOutputTokens: number;
}

export const DEFAULT_MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-4o-mini': { creditsPer1kInputTokens: 1, creditsPer1kOutputTokens: 4 },
  'gpt-4o': { creditsPer1kInputTokens: 10, creditsPer1kOutputTokens: 40 },
  'gpt-4.1-mini': { creditsPer1kInputTokens: 2, creditsPer1kOutputTokens: 8 },
  'gpt-4.1': { creditsPer1kInputTokens: 8, creditsPer1kOutputTokens: 32 },
});
