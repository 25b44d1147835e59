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
