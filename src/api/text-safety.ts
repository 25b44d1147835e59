// Checks every string of a request (body, query) before any handler sees it:
// Postgres text and jsonb cannot hold NUL (U+0000), and UTF-8 cannot encode an
// unpaired surrogate, so either would fail deep in a write as a 500. Nesting
// is bounded too: no route takes more than a few levels, and deep structures
// only cost stack and time further in. The walk is iterative (no recursion).

export const MAX_JSON_DEPTH = 32;

export interface TextProblem {
  path: string;
  code: 'invalid_text' | 'too_deep';
  message: string;
}

const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();
const badText = (text: string) => text.includes('\u0000') || !isWellFormed(text);

/** The first string (value or key) that cannot be stored, or the first level past MAX_JSON_DEPTH. */
export function findTextProblem(root: unknown, maxDepth = MAX_JSON_DEPTH): TextProblem | undefined {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: unknown; path: string[] };
    if (typeof value === 'string') {
      if (badText(value)) {
        return { path: path.join('.'), code: 'invalid_text', message: 'text must not contain NUL characters or unpaired surrogates' };
      }
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= maxDepth) return { path: path.join('.'), code: 'too_deep', message: `nested deeper than ${maxDepth} levels` };
    for (const [key, child] of Object.entries(value)) {
      if (badText(key)) {
        return { path: path.join('.'), code: 'invalid_text', message: 'property names must not contain NUL characters or unpaired surrogates' };
      }
      stack.push({ value: child, path: [...path, key] });
    }
  }
  return undefined;
}
