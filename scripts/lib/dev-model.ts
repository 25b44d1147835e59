// The development model: a small OpenAI-compatible server that `npm start`
// runs when no OPENAI_API_KEY is configured, so a tool can be run on a fresh
// clone. It answers chat completions deterministically ("sotally-dev-echo:
// <the prompt>") with token usage, after DEV_MODEL_LATENCY_MS. It is never
// started when a key is configured, and production refuses to run without one.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEV_MODEL_NAME = 'sotally-dev-echo';
/** Not a secret: the dev model accepts any key; config refuses it in production. */
export const DEV_MODEL_KEY = 'sk-sotally-dev-model-not-a-real-key';

const estimateTokens = (text: string) => Math.max(1, Math.ceil(Buffer.byteLength(text, 'utf8') / 4));

export interface DevModel {
  baseUrl: string;
  close(): Promise<void>;
}

export async function startDevModel({ port = 0, latencyMs = 0 }: { port?: number; latencyMs?: number } = {}): Promise<DevModel> {
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: DEV_MODEL_NAME, object: 'model' }] });
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
      let body: { model?: string; messages?: { content?: unknown }[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return send(res, 400, { error: { message: 'the body is not JSON', type: 'invalid_request_error' } });
      }
      const prompt = (body.messages ?? []).map((m) => (typeof m.content === 'string' ? m.content : '')).join('\n');
      const answer = `${DEV_MODEL_NAME}: ${prompt}`;
      setTimeout(() => {
        const usage = { prompt_tokens: estimateTokens(prompt), completion_tokens: estimateTokens(answer) };
        send(res, 200, {
          id: `chatcmpl-dev-${Date.now()}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: DEV_MODEL_NAME,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer } }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        });
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${actual}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
