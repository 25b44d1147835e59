// A real Temporal worker for a test file: the project's workflows and
// activities on a task queue of its own, so test files never steal each
// other's tasks.
import { NativeConnection, bundleWorkflowCode, type Worker } from '@temporalio/worker';
import type { Config } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { createActivities } from '../../src/activities';
import { createWorker } from '../../src/worker';
import { createTemporalClient } from '../../src/client';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/codec';
import { createPrisma } from '../../src/db';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import { capturingLogger } from './env';
import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes';

const silent = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };

export interface TestWorker {
  worker: Worker;
  logLines: string[];
  stop(): Promise<void>;
}

export async function startTestWorker(config: Config): Promise<TestWorker> {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: silent });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const prisma = createPrisma(config.DATABASE_URL, 5);
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const { logger, lines } = capturingLogger();
  const temporal = createTemporalClient(config, keyring);
  const worker = await createWorker({
    config,
    keyring,
    connection,
    workflowBundle,
    activities: createActivities({ config, prisma, keyring, logger, temporal }),
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    worker,
    logLines: lines,
    stop() {
      // Idempotent: a test may stop the worker early and the file's afterAll again.
      stopped ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
        await temporal.connection.close();
        await prisma.$disconnect();
      })();
      return stopped;
    },
  };
}

/**
 * Registers the project's search attributes on a server started without them (the time-skipping
 * test server), as `temporal server start-dev --search-attribute` does for the dev server.
 */
export async function registerSearchAttributes(connection: Connection): Promise<void> {
  const types: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
    [SearchAttributeType.KEYWORD]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    [SearchAttributeType.DATETIME]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  const searchAttributes = Object.fromEntries(Object.values(SEARCH_ATTRIBUTE_KEYS).map((key) => [key.name, types[key.type]!]));
  await connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes });
}
