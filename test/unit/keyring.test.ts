import { Keyring } from '../../src/crypto/keyring';

const v1 = Keyring.generateSpec('v1');
const v2 = Keyring.generateSpec('v2');

describe('Keyring (AES-256-GCM, versioned keys, AAD)', () => {
  it('round-trips and never leaves the plain text in the blob', () => {
    const keyring = Keyring.parse(v1);
    const blob = keyring.encrypt('jane@example.com', 'users.email:1');
    expect(Buffer.from(blob).toString('latin1')).not.toContain('jane@example.com');
    expect(keyring.decryptText(blob, 'users.email:1')).toBe('jane@example.com');
  });

  it('uses a fresh IV each time', () => {
    const keyring = Keyring.parse(v1);
    expect(Buffer.from(keyring.encrypt('same', 'ctx')).equals(Buffer.from(keyring.encrypt('same', 'ctx')))).toBe(false);
  });

  it('refuses a blob moved to another record (AAD) or tampered with', () => {
    const keyring = Keyring.parse(v1);
    const blob = keyring.encrypt('secret', 'tools.prompt:a');
    expect(() => keyring.decrypt(blob, 'tools.prompt:b')).toThrow(/authentication/);
    const tampered = Buffer.from(blob);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 20) ^ 1, tampered.length - 20);
    expect(() => keyring.decrypt(tampered, 'tools.prompt:a')).toThrow(/authentication/);
  });

  it('rotates: the first key encrypts, older keys still decrypt, a removed key fails clearly', () => {
    const old = Keyring.parse(v1).encrypt('legacy', 'ctx');
    const rotated = Keyring.parse(`${v2},${v1}`);
    expect(rotated.currentKeyId).toBe('v2');
    expect(rotated.decryptText(old, 'ctx')).toBe('legacy');
    expect(Keyring.keyIdOf(rotated.encrypt('new', 'ctx'))).toBe('v2');
    expect(() => Keyring.parse(v2).decrypt(old, 'ctx')).toThrow(/"v1", which is not configured/);
  });

  it.each([
    ['a short key', `v1:${Buffer.alloc(16).toString('base64')}`, /exactly 32 bytes/],
    ['a long key', `v1:${Buffer.alloc(33).toString('base64')}`, /exactly 32 bytes/],
    ['no id', Buffer.alloc(32).toString('base64'), /<id>:<base64>/],
    ['a duplicate id', `${v1},${v1}`, /twice/],
    ['nothing', '', /at least one key/],
  ])('rejects %s', (_label, spec, message) => {
    expect(() => Keyring.parse(spec)).toThrow(message);
  });
});
