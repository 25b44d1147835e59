import type { HttpClient } from './api';

export const toolDefinition = (overrides: Record<string, unknown> = {}) => ({
  name: 'Greeter',
  description: 'Greets someone',
  prompt: 'Say hello to {{who}} in {{language}}.',
  inputSchema: {
    type: 'object',
    properties: { who: { type: 'string', minLength: 1, maxLength: 100 }, language: { type: 'string', enum: ['en', 'fr'] } },
    required: ['who'],
  },
  model: 'gpt-4o-mini',
  priceCredits: 10,
  ...overrides,
});

export async function createTool(client: HttpClient, overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await client.post('/v1/tools', toolDefinition(overrides));
  if (res.status !== 201) throw new Error(`tool creation failed: ${res.status} ${res.text}`);
  return res.body.tool;
}
