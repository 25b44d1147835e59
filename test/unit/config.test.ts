import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates';

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

  it('refuses to serve plain HTTP in production unless a proxy ends TLS (TRUST_PROXY) or ALLOW_PLAIN_HTTP says so', () => {
    const production = { ...valid, NODE_ENV: 'production', OPENAI_API_KEY: 'sk-live-something' };
    expect(() => loadConfig(production, { servesHttp: true })).toThrow(
      'TLS_CERT_FILE and TLS_KEY_FILE: in production the API does not serve plain HTTP. Set both to serve HTTPS, or TRUST_PROXY=true when a proxy in front of it ends TLS',
    );
    expect(loadConfig({ ...production, TRUST_PROXY: 'true' }, { servesHttp: true }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ ...production, ALLOW_PLAIN_HTTP: '1' }, { servesHttp: true }).ALLOW_PLAIN_HTTP).toBe(true);
    expect(() => loadConfig({ ...production, TRUST_PROXY: 'false' }, { servesHttp: true })).toThrow(/does not serve plain HTTP/);
    // The worker serves nothing; development and test serve plain HTTP as before.
    expect(loadConfig(production).NODE_ENV).toBe('production');
    expect(loadConfig({ ...valid, NODE_ENV: 'development' }, { servesHttp: true }).NODE_ENV).toBe('development');
  });

  describe('TLS files', () => {
    let certs: TestCertificates;
    let notPem: string;
    beforeAll(async () => {
      certs = await makeTestCertificates(['temporal.test']);
      notPem = path.join(certs.dir, 'notes.txt');
      writeFileSync(notPem, 'not a certificate\n');
    });
    afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));
    const problemsOf = (env: Record<string, string>): string => {
      try {
        loadConfig({ ...valid, ...env });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      return '';
    };

    it('accepts a CA alone (server-authenticated TLS) and a client certificate with its key (mutual TLS)', () => {
      expect(loadConfig({ ...valid, TEMPORAL_TLS_CA_FILE: certs.caFile }).TEMPORAL_TLS_CA_FILE).toBe(certs.caFile);
      const mtls = loadConfig({ ...valid, TEMPORAL_TLS_CERT_FILE: certs.clientCertFile, TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
      expect(mtls.TEMPORAL_TLS_CERT_FILE).toBe(certs.clientCertFile);
      expect(loadConfig({ ...valid, TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
      expect(loadConfig(valid).TEMPORAL_TLS).toBeUndefined();
    });

    it('wants a client certificate and its key together', () => {
      expect(problemsOf({ TEMPORAL_TLS_CERT_FILE: certs.clientCertFile })).toContain('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: set both for mutual TLS with Temporal, or neither');
      expect(problemsOf({ TEMPORAL_TLS_KEY_FILE: certs.clientKeyFile })).toContain('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: set both');
    });

    it('names a file that does not exist, a folder, and a file holding no PEM, in one message', () => {
      const message = problemsOf({
        TEMPORAL_TLS_CA_FILE: '/nonexistent/ca.pem',
        TEMPORAL_TLS_CERT_FILE: certs.dir,
        TEMPORAL_TLS_KEY_FILE: notPem,
        TLS_CERT_FILE: '/nonexistent/api.pem',
        TLS_KEY_FILE: certs.serverKeyFile,
      });
      expect(message).toContain('TEMPORAL_TLS_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT: no such file or directory)');
      expect(message).toContain(`TEMPORAL_TLS_CERT_FILE: cannot read ${certs.dir} (EISDIR`);
      expect(message).toContain(`TEMPORAL_TLS_KEY_FILE: ${notPem} holds no PEM private key`);
      expect(message).toContain('TLS_CERT_FILE: cannot read /nonexistent/api.pem (ENOENT');
      expect(message).not.toMatch(/\n\s+at /); // a list of problems, not a stack trace
    });

    it('checks the TLS parameters of DATABASE_URL as pg would use them, without quoting the URL', () => {
      const url = (query: string) => `postgresql://u:secret-password@db.test/sotally?${query}`;
      expect(loadConfig({ ...valid, DATABASE_URL: url(`sslmode=verify-full&sslrootcert=${certs.caFile}`) }).DATABASE_URL).toContain('verify-full');
      expect(loadConfig({ ...valid, DATABASE_URL: url(`sslmode=verify-full&sslcert=${certs.clientCertFile}&sslkey=${certs.clientKeyFile}`) }).DATABASE_URL).toContain('sslkey');
      const message = problemsOf({ DATABASE_URL: url('sslmode=requre&sslrootcert=/nonexistent/root.crt&sslcert=/nonexistent/client.crt') });
      expect(message).toContain('DATABASE_URL: sslmode=requre is not one of disable, allow, prefer, require, verify-ca, verify-full, no-verify');
      expect(message).toContain('DATABASE_URL sslrootcert: cannot read /nonexistent/root.crt (ENOENT');
      expect(message).toContain('DATABASE_URL sslcert and DATABASE_URL sslkey: set both for a client certificate, or neither');
      expect(message).not.toContain('secret-password');
      expect(problemsOf({ DATABASE_URL: url('sslmode=verify-full&sslrootcert=system') })).toContain("sslrootcert=system is libpq's");
      expect(problemsOf({ DATABASE_URL: url('uselibpqcompat=true&sslmode=verify-ca') })).toContain('DATABASE_URL: sslmode=verify-ca needs sslrootcert');
    });

    it('refuses a key that is not the certificate\'s, and TEMPORAL_TLS=false beside TLS settings', () => {
      expect(problemsOf({ TEMPORAL_TLS_CERT_FILE: certs.clientCertFile, TEMPORAL_TLS_KEY_FILE: certs.serverKeyFile })).toContain(
        `TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE: the key in ${certs.serverKeyFile} is not the key of the certificate in ${certs.clientCertFile}`,
      );
      expect(problemsOf({ TLS_CERT_FILE: certs.serverCertFile, TLS_KEY_FILE: certs.clientKeyFile })).toContain('TLS_CERT_FILE and TLS_KEY_FILE: the key in');
      expect(problemsOf({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: certs.caFile })).toContain('TEMPORAL_TLS: false, yet TEMPORAL_TLS_CA_FILE is set');
      const https = { NODE_ENV: 'production', OPENAI_API_KEY: 'sk-live-something', TLS_CERT_FILE: certs.serverCertFile, TLS_KEY_FILE: certs.serverKeyFile };
      expect(loadConfig({ ...valid, ...https }, { servesHttp: true }).TLS_CERT_FILE).toBe(certs.serverCertFile); // production over HTTPS
    });
  });
});
