// The one place that builds a Temporal client. The API and scripts use it;
// every payload goes through the encryption codec.
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';
import type { Keyring } from './crypto/keyring';
import { createDataConverter } from './temporal/codec';
import { temporalConnectionOptions, type TemporalConnectionConfig } from './temporal/connection';

/** Lazy: the API starts (and /readyz answers 503) even while Temporal is still down. */
export function createTemporalClient(config: TemporalConnectionConfig & Pick<Config, 'TEMPORAL_NAMESPACE'>, keyring: Keyring): Client {
  const connection = Connection.lazy(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(keyring) });
}
