// AES-256-GCM with versioned keys, for data at rest and Temporal payloads.
//
// DATA_ENCRYPTION_KEYS = "v2:<base64>,v1:<base64>": the first key encrypts,
// every listed key decrypts, so keys rotate by prepending a new one.
// Each key must decode to exactly 32 bytes.
//
// Blob layouts (self-describing, so old rows stay readable after rotation):
//   format 1, under a keyring key (the users' data keys, Temporal payloads):
//     [0x01][1 byte key-id length][key id, utf8][12-byte IV][ciphertext][16-byte tag]
//   format 2, under a user's data key (./data-keys; which user is the row's owner):
//     [0x02][12-byte IV][ciphertext][16-byte tag]
// Every call binds the ciphertext to its context with AAD (e.g. "tools.prompt:<row id>"),
// so a blob copied to another row or column fails to decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedColumn } from './columns';

const FORMAT_V1 = 0x01;
/** A value under its owner's data key (./data-keys): [0x02][12-byte IV][ciphertext][16-byte tag]. */
export const FORMAT_DATA_KEY = 0x02;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  private constructor(keys: Map<string, Buffer>, currentKeyId: string) {
    this.keys = keys;
    this.currentKeyId = currentKeyId;
  }

  /** Parses "id:<base64>,id:<base64>"; the first key is the one that encrypts. */
  static parse(spec: string): Keyring {
    const keys = new Map<string, Buffer>();
    let first: string | undefined;
    for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
      const sep = part.indexOf(':');
      const id = sep > 0 ? part.slice(0, sep) : '';
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
        throw new KeyringError('each key must look like "<id>:<base64>" with an id of letters, digits, "-" or "_"');
      }
      const key = Buffer.from(part.slice(sep + 1), 'base64');
      if (key.length !== KEY_BYTES) throw new KeyringError(`key "${id}" must decode to exactly 32 bytes, got ${key.length}`);
      if (keys.has(id)) throw new KeyringError(`key id "${id}" is listed twice`);
      keys.set(id, key);
      first ??= id;
    }
    if (!first) throw new KeyringError('at least one key is required');
    return new Keyring(keys, first);
  }

  /** A fresh key spec for development ("v1:<base64>"). */
  static generateSpec(id = 'v1'): string {
    return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  encrypt(plaintext: Uint8Array | string, aad: string): Uint8Array<ArrayBuffer> {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    const keyId = Buffer.from(this.currentKeyId, 'utf8');
    return new Uint8Array(Buffer.concat([Buffer.from([FORMAT_V1, keyId.length]), keyId, iv, body, cipher.getAuthTag()]));
  }

  decrypt(blob: Uint8Array, aad: string): Buffer {
    const buf = Buffer.from(blob);
    if (buf.length < 2 || buf[0] !== FORMAT_V1) throw new KeyringError('unknown ciphertext format');
    const idLength = buf[1] as number;
    const headerEnd = 2 + idLength;
    if (buf.length < headerEnd + IV_BYTES + TAG_BYTES) throw new KeyringError('ciphertext is truncated');
    const keyId = buf.subarray(2, headerEnd).toString('utf8');
    const key = this.keys.get(keyId);
    if (!key) throw new KeyringError(`ciphertext was made with key "${keyId}", which is not configured`);
    const iv = buf.subarray(headerEnd, headerEnd + IV_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(buf.subarray(headerEnd + IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyringError('ciphertext failed authentication (wrong key, wrong context or tampered data)');
    }
  }

  decryptText(blob: Uint8Array, aad: string): string {
    return this.decrypt(blob, aad).toString('utf8');
  }

  /** Encrypts a value of one registered column (./columns) for the row `rowId`. */
  seal(column: EncryptedColumn, rowId: string, plaintext: string): Uint8Array<ArrayBuffer> {
    return this.encrypt(plaintext, column.aad(rowId));
  }

  /** Decrypts a value of one registered column for the row `rowId` (fails if the blob belongs elsewhere). */
  open(column: EncryptedColumn, rowId: string, blob: Uint8Array): string {
    return this.decryptText(blob, column.aad(rowId));
  }

  /** Whether a blob is sealed directly under a keyring key (format 1) rather than a user's data key. */
  static isKeyringBlob(blob: Uint8Array): boolean {
    return blob.length > 0 && blob[0] === FORMAT_V1;
  }

  /** The key id a blob was encrypted with (for rotation jobs and metrics). */
  static keyIdOf(blob: Uint8Array): string {
    const buf = Buffer.from(blob);
    return buf.subarray(2, 2 + (buf[1] as number)).toString('utf8');
  }
}

/** AES-256-GCM under a raw 32-byte key (a user's data key): [0x02][IV][ciphertext][tag]. */
export function encryptWithKey(key: Uint8Array, plaintext: Uint8Array | string, aad: string): Uint8Array<ArrayBuffer> {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from([FORMAT_DATA_KEY]), iv, body, cipher.getAuthTag()]));
}

export function decryptWithKey(key: Uint8Array, blob: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(blob);
  if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== FORMAT_DATA_KEY) throw new KeyringError('not a data-key ciphertext');
  const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new KeyringError('ciphertext failed authentication (wrong key, wrong context or tampered data)');
  }
}

export const DATA_KEY_BYTES = KEY_BYTES;
