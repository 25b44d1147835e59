// The API process: parse configuration, build dependencies, listen on PORT
// (HTTPS with TLS 1.3 minimum when TLS_CERT_FILE and TLS_KEY_FILE are set).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Express } from 'express';
import { loadConfigOrExit, type Config } from './config';
import { Keyring } from './crypto/keyring';
import { asyncStdout, createLogger } from './logger';
import { createPrisma } from './db';
import { createTemporalClient } from './client';
import { createApp } from './api/app';
import { createCredentialCache } from './api/credential-cache';
import { createToolListCache } from './tools/list-cache';
import { createMetricsRegistry } from './metrics';

export function createServer(app: Express, config: Pick<Config, 'TLS_CERT_FILE' | 'TLS_KEY_FILE'>): http.Server | https.Server {
  if (config.TLS_CERT_FILE && config.TLS_KEY_FILE) {
    return https.createServer(
      { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE), minVersion: 'TLSv1.3' },
      app,
    );
  }
  return http.createServer(app);
}

async function main() {
  const config = loadConfigOrExit({ servesHttp: true });
  const logger = createLogger(config.LOG_LEVEL, asyncStdout());
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const temporal = createTemporalClient(config, keyring);
  const credentials = createCredentialCache({ databaseUrl: config.DATABASE_URL, ttlMs: config.AUTH_CACHE_TTL, maxEntries: config.AUTH_CACHE_SIZE, logger });
  const toolList =
    config.TOOL_LIST_CACHE_SIZE === 0
      ? undefined
      : createToolListCache({ databaseUrl: config.DATABASE_URL, ttlMs: config.TOOL_LIST_CACHE_TTL, maxEntries: config.TOOL_LIST_CACHE_SIZE, logger });
  const app = createApp({ config, logger, prisma, keyring, temporal, metricsRegistry: createMetricsRegistry(), credentials, toolList });
  const server = createServer(app, config);
  server.listen(config.PORT, () => {
    const scheme = config.TLS_CERT_FILE ? 'https' : 'http';
    logger.info({ url: `${scheme}://localhost:${config.PORT}` }, 'API listening');
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'API shutting down');
    server.close(() => {
      void Promise.allSettled([credentials.close(), toolList?.close(), prisma.$disconnect(), temporal.connection.close()]).then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  void main();
}
