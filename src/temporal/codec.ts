// Temporal PayloadCodec: every payload that leaves the client or the worker
// (workflow arguments, results, signals, activity inputs, failures' details) is
// AES-256-GCM encrypted with the current data key. The key id travels in the
// payload metadata, so histories written under an old key stay readable after
// rotation as long as that key is still configured.
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec, ValueError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Keyring } from '../crypto/keyring';
import { TEMPORAL_PAYLOAD_AAD } from '../crypto/columns';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [METADATA_KEY_ID]: Buffer.from(this.keyring.currentKeyId),
      },
      data: this.keyring.encrypt(Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()), TEMPORAL_PAYLOAD_AAD),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      if (!payload.data) throw new ValueError('encrypted payload has no data');
      const keyId = payload.metadata?.[METADATA_KEY_ID];
      if (keyId && !this.keyring.hasKey(Buffer.from(keyId).toString())) {
        throw new ValueError(`payload was encrypted with key "${Buffer.from(keyId).toString()}", which is not configured`);
      }
      return temporal.api.common.v1.Payload.decode(this.keyring.decrypt(payload.data, TEMPORAL_PAYLOAD_AAD));
    });
  }
}

/** Where the failure converter lives: workflows load it inside their sandbox, by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter shared by the Temporal client and the worker: payloads and
 * failures' messages and stack traces are encrypted (see ./failure-converter).
 */
export function createDataConverter(keyring: Keyring) {
  return { payloadCodecs: [new EncryptionCodec(keyring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
