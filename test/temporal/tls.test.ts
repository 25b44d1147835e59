// Temporal over TLS, end to end, with the project's own connection code
// (loadConfig -> temporalConnectionOptions -> the worker's NativeConnection and
// the API's client). The pinned `temporal server start-dev` (CLI 1.9.1) cannot
// serve TLS: it has no --tls-* server flags and takes no configuration file.
// So the test run's dev server gets a TLS endpoint in front of it, as a load
// balancer would: it terminates TLS (HTTP/2 by ALPN), verifies client
// certificates when told to, and passes the gRPC bytes on to the dev server.
// The server certificate is valid for "temporal.test" only, so every
// connection to 127.0.0.1 also needs TEMPORAL_TLS_SERVER_NAME.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/codec';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import { createWorker } from '../../src/worker';
import { createFixtureActivities } from '../fixtures/activities';
import { profileEchoWorkflow } from '../fixtures/workflows';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates';
import { testConfig } from '../helpers/env';

const plain = testConfig();
let certs: TestCertificates;
let bundle: WorkflowBundleWithSourceMap;
const fronts: { server: tls.Server; sockets: Set<net.Socket> }[] = [];
/** Who got through each front: the protocol and the client certificate's common name. */
const accepted: { protocol: string | null; clientCn: string | undefined }[] = [];

/** A TLS endpoint that forwards to the dev server; returns its address. */
async function tlsFront(requireClientCert: boolean): Promise<string> {
  const [devHost, devPort] = plain.TEMPORAL_ADDRESS.split(':');
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, requestCert: requireClientCert, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      accepted.push({ protocol: socket.getProtocol(), clientCn: requireClientCert ? String(socket.getPeerCertificate().subject.CN) : undefined });
      const upstream = net.connect(Number(devPort), devHost);
      sockets.add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    },
  );
  server.on('connection', (socket: net.Socket) => sockets.add(socket));
  server.on('tlsClientError', () => undefined); // the refusals below
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fronts.push({ server, sockets });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

let mtlsAddress: string;
let serverTlsAddress: string;

beforeAll(async () => {
  certs = await makeTestCertificates(['temporal.test']);
  [mtlsAddress, serverTlsAddress, bundle] = await Promise.all([
    tlsFront(true),
    tlsFront(false),
    bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const { server, sockets } of fronts) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(certs.dir, { recursive: true, force: true });
});

it('mutual TLS: the worker and the client run a workflow through an endpoint that requires a client certificate', async () => {
  const config = testConfig({
    TEMPORAL_ADDRESS: mtlsAddress,
    TEMPORAL_TLS_CA_FILE: certs.caFile,
    TEMPORAL_TLS_CERT_FILE: certs.clientCertFile,
    TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile,
    TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    TEMPORAL_TASK_QUEUE: `tls-${randomUUID()}`,
  });
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const client = createTemporalClient(config, keyring);
  try {
    const worker = await createWorker({ config, keyring, connection, workflowBundle: bundle, activities: createFixtureActivities() });
    const result = await worker.runUntil(
      client.workflow.execute(profileEchoWorkflow, { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: `tls-${randomUUID()}`, args: [{ email: 'tls@example.test', note: 'over TLS' }] }),
    );
    expect(result).toBe('tls@example.test says over TLS');
  } finally {
    await client.connection.close();
    await connection.close();
  }
  // Both connections (the worker's and the client's) went through the front, with the client certificate.
  const mutual = accepted.filter((a) => a.clientCn !== undefined);
  expect(mutual.length).toBeGreaterThanOrEqual(2);
  for (const a of mutual) expect(a).toEqual({ protocol: 'TLSv1.3', clientCn: 'sotally-test-client' });
});

it('server-authenticated TLS: the CA alone is enough where no client certificate is asked for', async () => {
  const config = testConfig({ TEMPORAL_ADDRESS: serverTlsAddress, TEMPORAL_TLS_CA_FILE: certs.caFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
  const client = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  try {
    const viaClient = await client.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
    const viaWorkerConnection = await connection.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
    expect(viaClient.namespaceInfo?.name).toBe(config.TEMPORAL_NAMESPACE);
    expect(viaWorkerConnection.namespaceInfo?.name).toBe(config.TEMPORAL_NAMESPACE);
  } finally {
    await client.connection.close();
    await connection.close();
  }
});

it('refuses a server it cannot verify, and the endpoint refuses a client without a certificate or without TLS', async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    // No CA file: the system's CAs do not know the test CA.
    ['without the CA', { TEMPORAL_ADDRESS: serverTlsAddress, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }, /UnknownIssuer/],
    ['with another CA', { TEMPORAL_ADDRESS: serverTlsAddress, TEMPORAL_TLS_CA_FILE: certs.wrongCaFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }, /UnknownIssuer/],
    ['without the server name', { TEMPORAL_ADDRESS: serverTlsAddress, TEMPORAL_TLS_CA_FILE: certs.caFile }, /NotValidForName/],
    // In TLS 1.3 the client finishes its side before the server checks for a certificate, so the refusal reaches
    // it as the server's alert or, when the server closes first, as a broken pipe or (while the first request is
    // on its way) as that request cancelled with the connection closed under it: refused every way, never served.
    [
      'without a client certificate',
      { TEMPORAL_ADDRESS: mtlsAddress, TEMPORAL_TLS_CA_FILE: certs.caFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' },
      /CertificateRequired|BrokenPipe|Canceled, "connection closed"/,
    ],
    ['without TLS', { TEMPORAL_ADDRESS: mtlsAddress }, /transport error/],
  ];
  const outcomes = await Promise.all(
    cases.map(async ([name, overrides]) => {
      const options = temporalConnectionOptions(testConfig(overrides));
      const attempt = async (connect: () => Promise<{ workflowService: { getSystemInfo(r: object): Promise<unknown> }; close(): Promise<void> }>) => {
        try {
          const connection = await connect();
          await connection.workflowService.getSystemInfo({});
          await connection.close();
          return 'connected';
        } catch (err) {
          return (err as Error).message;
        }
      };
      return {
        name,
        client: await attempt(() => Connection.connect({ ...options, connectTimeout: '2s' })),
        worker: await attempt(() => NativeConnection.connect(options)),
      };
    }),
  );
  for (const [i, [name, , reason]] of cases.entries()) {
    expect(outcomes[i]).toEqual({ name, client: expect.not.stringMatching(/^connected$/), worker: expect.stringMatching(reason) });
  }
});
