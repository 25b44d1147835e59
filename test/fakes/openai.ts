// A local OpenAI-compatible server, so the real `openai` library runs over
// real HTTP. By default it answers every chat completion after `latencyMs`
// with "echo: <prompt>"; tests queue special answers (errors, slow replies).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedReply {
  status?: number;
  delayMs?: number;
  /** Replaces the default completion body. */
  body?: unknown;
}

export interface FakeModelRequest {
  authorization: string | undefined;
  model: string;
  prompt: string;
}

export interface FakeOpenAI {
  baseUrl: string;
  requests: FakeModelRequest[];
  latencyMs: number;
  script(...replies: ScriptedReply[]): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(latencyMs = 0): Promise<FakeOpenAI> {
  const queue: ScriptedReply[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const fake = {
    requests: [] as FakeModelRequest[],
    latencyMs,
    script: (...replies: ScriptedReply[]) => void queue.push(...replies),
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as { model?: string; messages?: { content: string }[] };
      const prompt = body.messages?.map((m) => m.content).join('\n') ?? '';
      fake.requests.push({ authorization: req.headers.authorization, model: body.model ?? '', prompt });
      const reply = queue.shift() ?? {};
      const send = () => {
        if (res.destroyed) return;
        res.statusCode = reply.status ?? 200;
        res.setHeader('content-type', 'application/json');
        if (reply.body !== undefined || res.statusCode !== 200) {
          res.end(JSON.stringify(reply.body ?? { error: { message: `scripted ${res.statusCode}`, type: 'scripted' } }));
          return;
        }
        res.end(
          JSON.stringify({
            id: `chatcmpl-${fake.requests.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `echo: ${prompt}` } }],
            usage: { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: 10, total_tokens: Math.ceil(prompt.length / 4) + 10 },
          }),
        );
      };
      const delay = reply.delayMs ?? fake.latencyMs;
      if (delay > 0) setTimeout(send, delay);
      else send();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
