// A local HTTP fake of the Stripe endpoints Sotally calls, so the real
// `stripe` library runs over real HTTP. It honours Idempotency-Key like Stripe.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeStripe {
  url: string;
  requests: { method: string; path: string; idempotencyKey?: string; form: URLSearchParams }[];
  sessionsCreated: number;
  close(): Promise<void>;
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const byKey = new Map<string, string>();
  const fake: Omit<FakeStripe, 'url' | 'close'> = { requests: [], sessionsCreated: 0 };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(raw);
      const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
      fake.requests.push({ method: req.method ?? '', path: req.url ?? '', idempotencyKey, form });
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/v1/checkout/sessions') {
        const replay = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
        if (replay) {
          res.setHeader('idempotent-replayed', 'true');
          res.end(replay);
          return;
        }
        fake.sessionsCreated += 1;
        const id = `cs_test_${randomUUID().replace(/-/g, '')}`;
        const body = JSON.stringify({
          id,
          object: 'checkout.session',
          mode: 'payment',
          payment_status: 'unpaid',
          status: 'open',
          amount_total: Number(form.get('line_items[0][price_data][unit_amount]')),
          currency: form.get('line_items[0][price_data][currency]'),
          client_reference_id: form.get('client_reference_id'),
          metadata: { accountId: form.get('metadata[accountId]'), packageId: form.get('metadata[packageId]') },
          url: `https://checkout.stripe.test/c/pay/${id}`,
        });
        if (idempotencyKey) byKey.set(idempotencyKey, body);
        res.end(body);
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `no fake for ${req.method} ${req.url}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
