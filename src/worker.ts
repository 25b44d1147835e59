// The worker: runs workflow code from src/workflows and activities from
// src/activities on the configured task queue, with the encryption codec.
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { loadConfigOrExit, type Config } from './config';
import { Keyring } from './crypto/keyring';
import { createLogger, type Logger } from './logger';
import { createPrisma } from './db';
import { createActivities } from './activities';
import { createDataConverter } from './temporal/codec';
import { installTemporalLogging } from './temporal/runtime-logging';
import { ensureSchedules } from './temporal/schedules';
import { createTemporalClient } from './client';
import { temporalConnectionOptions } from './temporal/connection';

export interface WorkerSetup {
  config: Config;
  keyring: Keyring;
  activities: object;
  connection: NativeConnection;
  taskQueue?: string;
  workflowsPath?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.config.TEMPORAL_NAMESPACE,
    taskQueue: setup.taskQueue ?? setup.config.TEMPORAL_TASK_QUEUE,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: setup.workflowsPath ?? require.resolve('./workflows') }),
    activities: setup.activities,
    dataConverter: createDataConverter(setup.keyring),
  });
}

async function main(config: Config, logger: Logger) {
  installTemporalLogging(logger);
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const prisma = createPrisma(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const client = createTemporalClient(config, keyring);
  const worker = await createWorker({ config, keyring, connection, activities: createActivities({ config, prisma, keyring, logger, temporal: client }) });
  if (config.WORKER_ENSURE_SCHEDULES) await ensureSchedules(client, config);
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
  // Worker.run() handles SIGINT/SIGTERM itself: it stops polling, finishes in-flight tasks, then resolves.
  await worker.run();
  await client.connection.close();
  await connection.close();
  await prisma.$disconnect();
  logger.info('worker stopped');
}

if (require.main === module) {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  main(config, logger).catch((err: unknown) => {
    logger.fatal({ err }, 'worker failed');
    process.exit(1);
  });
}
