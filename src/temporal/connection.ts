// How every process connects to Temporal: the address and, when configured, TLS.
// The API's client (src/client.ts, grpc-js) and the worker's NativeConnection
// (src/worker.ts, the Rust core) both take these options, so they cannot differ.
//   TEMPORAL_TLS_CA_FILE                          server-authenticated TLS with a private CA
//   TEMPORAL_TLS_CERT_FILE + TEMPORAL_TLS_KEY_FILE mutual TLS (Temporal Cloud; its CAs are public)
//   TEMPORAL_TLS_SERVER_NAME                      the name the server's certificate carries, if not the address's host
//   TEMPORAL_TLS=true                             TLS trusting the system's CAs (implied by any of the above)
// loadConfig has already checked that the files are readable PEM and that the key is the certificate's.
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

export type TemporalConnectionConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CA_FILE' | 'TEMPORAL_TLS_CERT_FILE' | 'TEMPORAL_TLS_KEY_FILE' | 'TEMPORAL_TLS_SERVER_NAME'
>;

export function temporalTlsEnabled(config: TemporalConnectionConfig): boolean {
  return config.TEMPORAL_TLS ?? Boolean(config.TEMPORAL_TLS_CA_FILE || config.TEMPORAL_TLS_CERT_FILE || config.TEMPORAL_TLS_KEY_FILE || config.TEMPORAL_TLS_SERVER_NAME);
}

/** `{ address, tls }` for `Connection.connect` / `Connection.lazy` and `NativeConnection.connect`. Reads the files now. */
export function temporalConnectionOptions(config: TemporalConnectionConfig): { address: string; tls?: TLSConfig } {
  if (!temporalTlsEnabled(config)) return { address: config.TEMPORAL_ADDRESS };
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_CA_FILE) tls.serverRootCACertificate = readFileSync(config.TEMPORAL_TLS_CA_FILE);
  if (config.TEMPORAL_TLS_CERT_FILE && config.TEMPORAL_TLS_KEY_FILE) {
    tls.clientCertPair = { crt: readFileSync(config.TEMPORAL_TLS_CERT_FILE), key: readFileSync(config.TEMPORAL_TLS_KEY_FILE) };
  }
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  return { address: config.TEMPORAL_ADDRESS, tls };
}
