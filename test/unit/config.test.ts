import { ConfigError, loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';

const valid = {
  DATABASE_URL: 'postgresql://u@127.0.0.1/db',
  DATA_ENCRYPTION_KEYS: Keyring.generateSpec(),
  EMAIL_INDEX_KEY: Buffer.alloc(32, 7).toString('base64'),
  RATE_LIMIT_KEY_SECRET: 'k'.repeat(44),
};

describe('configuration', () => {
  it('parses durations and defaults, and freezes the result', () => {
    const config = loadConfig({ ...valid, EXECUTION_RETENTION: '5s', RESERVATION_TTL: '72h' });
    expect(config.EXECUTION_RETENTION).toBe(5_000);
    expect(config.RESERVATION_TTL).toBe(72 * 3_600_000);
    expect(config.SESSION_TTL).toBe(30 * 86_400_000);
    expect(config.PORT).toBe(3000);
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad or missing variable at once, and has no default secret', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', EXECUTION_RETENTION: '90 days', DATABASE_URL: 'mysql://x', TLS_CERT_FILE: '/tmp/cert.pem' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'EXECUTION_RETENTION', 'DATABASE_URL', 'DATA_ENCRYPTION_KEYS', 'RATE_LIMIT_KEY_SECRET', 'TLS_CERT_FILE']) expect(message).toContain(name);
  });

  it('requires a rate-limit key secret of at least 32 characters', () => {
    const { RATE_LIMIT_KEY_SECRET: _unset, ...withoutSecret } = valid;
    expect(() => loadConfig(withoutSecret)).toThrow(/RATE_LIMIT_KEY_SECRET is required/);
    expect(() => loadConfig({ ...valid, RATE_LIMIT_KEY_SECRET: 'short-secret' })).toThrow(/RATE_LIMIT_KEY_SECRET: must be at least 32/);
  });

  it('rejects an encryption key that is not exactly 32 bytes', () => {
    expect(() => loadConfig({ ...valid, DATA_ENCRYPTION_KEYS: `v1:${Buffer.alloc(31).toString('base64')}` })).toThrow(/DATA_ENCRYPTION_KEYS.*32 bytes/);
  });

  it('refuses production without a real model key (the development model is for npm start only)', () => {
    expect(() => loadConfig({ ...valid, NODE_ENV: 'production' })).toThrow(/OPENAI_API_KEY/);
    expect(() => loadConfig({ ...valid, NODE_ENV: 'production', OPENAI_API_KEY: 'sk-sotally-dev-model-not-a-real-key' })).toThrow(/OPENAI_API_KEY/);
    expect(loadConfig({ ...valid, NODE_ENV: 'production', OPENAI_API_KEY: 'sk-live-something' }).NODE_ENV).toBe('production');
  });
});
