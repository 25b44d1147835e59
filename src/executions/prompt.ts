// Renders a tool's prompt template with a run's inputs in ONE pass: each
// {{name}} is replaced by its input's text, and text that came from an input
// is never scanned again, so an input containing "{{other}}" (or anything
// else) cannot change the template.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function renderPrompt(template: string, inputs: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = inputs[name];
    return value === undefined || value === null ? '' : String(value);
  });
}
