// The one place that turns TEMPORAL_* settings into connection options for both
// the client (grpc-js) and the worker (Rust core).
import { readFileSync, rmSync } from 'node:fs';
import { loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates';

const valid = {
  DATABASE_URL: 'postgresql://u@127.0.0.1/db',
  DATA_ENCRYPTION_KEYS: Keyring.generateSpec(),
  EMAIL_INDEX_KEY: Buffer.alloc(32, 7).toString('base64'),
  RATE_LIMIT_KEY_SECRET: 'k'.repeat(44),
  TEMPORAL_ADDRESS: 'temporal.test:7233',
};
let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeTestCertificates(['temporal.test']);
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

it('is plain gRPC when nothing about TLS is set, or TEMPORAL_TLS=false', () => {
  expect(temporalConnectionOptions(loadConfig(valid))).toEqual({ address: 'temporal.test:7233' });
  expect(temporalConnectionOptions(loadConfig({ ...valid, TEMPORAL_TLS: 'false' }))).toEqual({ address: 'temporal.test:7233' });
});

it('trusts the system CAs with TEMPORAL_TLS=true alone', () => {
  expect(temporalConnectionOptions(loadConfig({ ...valid, TEMPORAL_TLS: 'true' }))).toEqual({ address: 'temporal.test:7233', tls: {} });
});

it('server-authenticated TLS: the CA file, and the server name when given', () => {
  const options = temporalConnectionOptions(loadConfig({ ...valid, TEMPORAL_TLS_CA_FILE: certs.caFile, TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.test' }));
  expect(options.tls?.serverRootCACertificate).toEqual(readFileSync(certs.caFile));
  expect(options.tls?.serverNameOverride).toBe('frontend.temporal.test');
  expect(options.tls?.clientCertPair).toBeUndefined();
});

it('mutual TLS: the client certificate and key, with or without a CA (Temporal Cloud: public CAs)', () => {
  const cloud = temporalConnectionOptions(loadConfig({ ...valid, TEMPORAL_TLS_CERT_FILE: certs.clientCertFile, TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile }));
  expect(cloud.tls?.clientCertPair).toEqual({ crt: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) });
  expect(cloud.tls?.serverRootCACertificate).toBeUndefined();
  const privateCa = temporalConnectionOptions(
    loadConfig({ ...valid, TEMPORAL_TLS_CA_FILE: certs.caFile, TEMPORAL_TLS_CERT_FILE: certs.clientCertFile, TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile }),
  );
  expect(privateCa.tls?.serverRootCACertificate).toEqual(readFileSync(certs.caFile));
  expect(privateCa.tls?.clientCertPair?.crt).toEqual(readFileSync(certs.clientCertFile));
});
