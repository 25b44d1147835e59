// Durations in configuration: "90d", "72h", "15m", "30s", "500ms".
// Kept free of Node APIs so workflow code may import it too.
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration such as "90d" into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (use a number followed by ms, s, m, h or d, e.g. 90d)`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`"${text}" must be a positive duration`);
  return Math.round(ms);
}
