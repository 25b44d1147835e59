// The policy's 90 days, on Temporal's time-skipping test server: an execution's
// inputs and output are still there on day 89 and gone from Postgres after
// day 90, while its ledger entries stay.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import { createDataConverter } from '../../src/temporal/codec';
import { temporalBinary } from '../../scripts/lib/temporal-binaries';
import { signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';
import { executionRetentionWorkflow } from '../../src/retention/workflows';
import { retentionWorkflowId } from '../../src/retention/contract';

const prisma = testPrisma();
let env: TestWorkflowEnvironment;
let model: FakeOpenAI;
let stack: TestApi; // API on the dev server: creates the record and runs the tool
let worker: TestWorker; // worker on the time-skipping server: runs the retention timer
let devWorker: TestWorker;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalBinary('test-server') } } });
  model = await startFakeOpenAI();
  stack = await startTestApi({ OPENAI_API_KEY: 'sk-platform-key-for-tests-0000', OPENAI_BASE_URL: model.baseUrl, TEMPORAL_TASK_QUEUE: `ts-${randomUUID()}` });
  devWorker = await startTestWorker(stack.deps.config);
  worker = await startTestWorker({ ...stack.deps.config, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `ts-retention-${randomUUID()}` });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await devWorker?.stop();
  await stack?.close();
  await model?.close();
  await env?.teardown();
  await closeTestPrisma();
});

it('day 89: the data is there; after day 90: inputs and output are gone from Postgres, the ledger is intact', async () => {
  const creator = await signedUpClient(stack.baseUrl, 'Creator');
  const tool = await createTool(creator.client);
  const { client, user } = await signedUpClient(stack.baseUrl);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.id, 50);
  const marker = `RETENTION-MARKER-${randomUUID()}`;
  const run = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: marker }, waitSeconds: 20 });
  expect(run.body.status).toBe('succeeded');
  const executionId = run.body.id as string;
  const { expiresAt } = await prisma.execution.findUniqueOrThrow({ where: { id: executionId } });
  expect(expiresAt.getTime() - new Date(run.body.createdAt).getTime()).toBe(90 * 86_400_000);

  // The same retention workflow the run started as its child, here on the time-skipping server.
  const temporal = new Client({ connection: env.connection, dataConverter: createDataConverter(stack.deps.keyring) });
  const handle = await temporal.workflow.start(executionRetentionWorkflow, {
    taskQueue: worker.worker.options.taskQueue,
    workflowId: retentionWorkflowId(executionId),
    args: [{ executionId, expiresAt: expiresAt.toISOString() }],
  });

  await env.sleep('89d');
  const day89 = await prisma.execution.findUniqueOrThrow({ where: { id: executionId } });
  expect(day89.inputsCiphertext).not.toBeNull();
  expect(day89.outputCiphertext).not.toBeNull();
  expect((await client.get(`/v1/executions/${executionId}`)).body.output).toContain(marker);
  expect((await handle.query('retention')) as { purgedAt: string | null }).toMatchObject({ purgedAt: null });

  await env.sleep('25h');
  const state = await handle.result();
  expect(state.purgedAt).not.toBeNull();
  await waitFor(async () => ((await prisma.execution.count({ where: { id: executionId } })) === 0 ? true : undefined), {
    what: 'the record to be deleted',
  });

  const gone = await client.get(`/v1/executions/${executionId}`);
  expect(gone.status).toBe(410);
  expect(gone.body.error.code).toBe('execution_expired');
  expect(JSON.stringify(gone.body)).not.toContain(marker);
  const entries = await prisma.ledgerEntry.findMany({ where: { executionId } });
  expect(entries.map((e) => e.type).sort()).toEqual(['capture', 'release', 'reservation']);
}, 120_000);
