// HTTPS: given a certificate, the API serves TLS 1.3 only and marks cookies Secure.
import { mkdtempSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { createApp } from '../../src/api/app';
import { createServer } from '../../src/server';
import { createMetricsRegistry } from '../../src/metrics';
import { TEST_PASSWORD } from '../helpers/api';
import { uniqueEmail } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';

const api = useTestApi();
let server: ReturnType<typeof createServer>;
let port: number;
let cert: string;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  } as Parameters<typeof generate>[1]);
  cert = pems.cert;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sotally-tls-'));
  writeFileSync(path.join(dir, 'cert.pem'), pems.cert);
  writeFileSync(path.join(dir, 'key.pem'), pems.private);
  const config = { TLS_CERT_FILE: path.join(dir, 'cert.pem'), TLS_KEY_FILE: path.join(dir, 'key.pem') };
  server = createServer(createApp({ ...api.deps, metricsRegistry: createMetricsRegistry(false) }), config);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

function request(method: string, urlPath: string, body?: unknown): Promise<{ status: number; headers: Record<string, unknown>; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, servername: 'localhost', method, path: urlPath, ca: cert, headers: { 'content-type': 'application/json' } },
      (res) => {
        const protocol = (res.socket as tls.TLSSocket).getProtocol() ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, protocol }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

it('serves a TLS 1.3 client and marks the session cookie Secure', async () => {
  const health = await request('GET', '/healthz');
  expect(health.status).toBe(200);
  expect(health.protocol).toBe('TLSv1.3');
  const signup = await request('POST', '/v1/auth/signup', { name: 'Tls', email: uniqueEmail('tls'), password: TEST_PASSWORD });
  expect(signup.status).toBe(201);
  const cookies = signup.headers['set-cookie'] as string[];
  expect(cookies.find((c) => c.startsWith('sid='))).toMatch(/;\s*Secure/i);
  expect(signup.headers['strict-transport-security']).toBeDefined();
});

it('refuses a client that speaks at most TLS 1.2', async () => {
  const outcome = await new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert, maxVersion: 'TLSv1.2' });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  expect(outcome).not.toBe('connected');
  expect(outcome).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
});
