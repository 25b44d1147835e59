// Renders a tool's prompt template with a run's inputs in ONE pass: each
// {{name}} is replaced by its input's text, and text that came from an input
// is never scanned again, so an input containing "{{other}}" (or anything
// else) cannot change the template.
//
// measurePrompt gives the rendered size without building the string, so a
// template that repeats {{text}} 2,000 times over a 30 KB input is refused at
// admission for the price of a multiplication, not 75 MB of memory.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

const textOf = (value: unknown) => (value === undefined || value === null ? '' : String(value));

export function renderPrompt(template: string, inputs: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => textOf(inputs[name]));
}

/** The template without its placeholders, and how often each placeholder occurs. */
export function placeholderOccurrences(template: string): { literalText: string; occurrences: Map<string, number> } {
  const occurrences = new Map<string, number>();
  const literalText = template.replace(PLACEHOLDER, (_match, name: string) => {
    occurrences.set(name, (occurrences.get(name) ?? 0) + 1);
    return '';
  });
  return { literalText, occurrences };
}

/** Length of renderPrompt(template, inputs) in characters (UTF-16 code units, an upper bound on code points) and UTF-8 bytes. */
export function measurePrompt(template: string, inputs: Record<string, unknown>): { chars: number; bytes: number } {
  const { literalText, occurrences } = placeholderOccurrences(template);
  let chars = literalText.length;
  let bytes = Buffer.byteLength(literalText, 'utf8');
  for (const [name, times] of occurrences) {
    const text = textOf(inputs[name]);
    chars += times * text.length;
    bytes += times * Buffer.byteLength(text, 'utf8');
  }
  return { chars, bytes };
}
