// A round trip client → Temporal server → worker with the encryption codec,
// then a byte-level scan of the history the server stored: no payload may
// hold the personal data in clear. A control run without the codec proves
// the scan would find it.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createDataConverter, FAILURE_CONVERTER_PATH } from '../../src/temporal/codec';
import { Keyring } from '../../src/crypto/keyring';
import { createWorker } from '../../src/worker';
import { createFixtureActivities } from '../fixtures/activities';
import { testConfig } from '../helpers/env';
import { profileEchoWorkflow, profileRefusalWorkflow } from '../fixtures/workflows';
import { WorkflowFailedError } from '@temporalio/client';

const config = testConfig();
let bundle: WorkflowBundleWithSourceMap;
let nativeConnection: NativeConnection;
let connection: Connection;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} } });
  nativeConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
}, 60_000);

afterAll(async () => {
  await connection.close();
  await nativeConnection.close();
});

async function historyBytes(workflowId: string): Promise<Buffer> {
  const response = await connection.workflowService.getWorkflowExecutionHistory({
    namespace: config.TEMPORAL_NAMESPACE,
    execution: { workflowId },
  });
  return Buffer.from(temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(response).finish());
}

async function runEcho(keyring: Keyring | undefined, profile: { email: string; note: string }) {
  const taskQueue = `codec-test-${randomUUID()}`;
  const dataConverter = keyring ? createDataConverter(keyring) : undefined;
  const worker = keyring
    ? await createWorker({ config, keyring, connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: createFixtureActivities() })
    : await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: createFixtureActivities() });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  const workflowId = `codec-roundtrip-${randomUUID()}`;
  const result = await worker.runUntil(
    client.workflow.execute(profileEchoWorkflow, { taskQueue, workflowId, args: [profile] }),
  );
  return { result, workflowId };
}

const markers = (profile: { email: string; note: string }) => [profile.email, profile.note, Buffer.from(profile.note).toString('base64')];

it('the workflow sees the real values, and the stored history holds none of them in clear', async () => {
  const keyring = Keyring.parse(config.DATA_ENCRYPTION_KEYS);
  const profile = { email: `jane.${randomUUID()}@example.test`, note: `secret-note-${randomUUID()}` };
  const { result, workflowId } = await runEcho(keyring, profile);
  expect(result).toBe(`${profile.email} says ${profile.note}`);
  const bytes = await historyBytes(workflowId);
  for (const marker of markers(profile)) expect(bytes.includes(Buffer.from(marker))).toBe(false);
  expect(bytes.includes(Buffer.from('binary/encrypted'))).toBe(true);
  expect(bytes.includes(Buffer.from('encryption-key-id'))).toBe(true);
});

it('control: without the codec the same scan finds the values (so the check above can fail)', async () => {
  const profile = { email: `john.${randomUUID()}@example.test`, note: `plain-note-${randomUUID()}` };
  const { workflowId } = await runEcho(undefined, profile);
  const bytes = await historyBytes(workflowId);
  expect(bytes.includes(Buffer.from(profile.email))).toBe(true);
});

it('histories written under an old key stay readable after the key is rotated', async () => {
  const [newKey, oldKey] = config.DATA_ENCRYPTION_KEYS.split(',') as [string, string];
  const profile = { email: `rot.${randomUUID()}@example.test`, note: `rotation-${randomUUID()}` };
  const { workflowId } = await runEcho(Keyring.parse(oldKey), profile);
  const rotated = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(Keyring.parse(`${newKey},${oldKey}`)) });
  expect(await rotated.workflow.getHandle(workflowId).result()).toBe(`${profile.email} says ${profile.note}`);
  const withoutOldKey = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(Keyring.parse(newKey)) });
  await expect(withoutOldKey.workflow.getHandle(workflowId).result()).rejects.toThrow(/not configured/);
});

async function runRefusal(keyring: Keyring | undefined, profile: { email: string; note: string }) {
  const taskQueue = `codec-failure-${randomUUID()}`;
  const worker = keyring
    ? await createWorker({ config, keyring, connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: createFixtureActivities() })
    : await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: bundle, activities: createFixtureActivities() });
  const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: keyring ? createDataConverter(keyring) : undefined });
  const workflowId = `codec-failure-${randomUUID()}`;
  const error = await worker
    .runUntil(client.workflow.execute(profileRefusalWorkflow, { taskQueue, workflowId, args: [profile] }))
    .then(() => undefined, (err: unknown) => err);
  return { error, workflowId };
}

it('failure messages and stack traces are encrypted in the history too; the client still reads them', async () => {
  const profile = { email: `fail.${randomUUID()}@example.test`, note: 'n/a' };
  const { error, workflowId } = await runRefusal(Keyring.parse(config.DATA_ENCRYPTION_KEYS), profile);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(String(((error as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toContain(profile.email); // decoded for the client
  const bytes = await historyBytes(workflowId);
  expect(bytes.includes(Buffer.from(profile.email))).toBe(false);
  expect(bytes.includes(Buffer.from('refuseProfile'))).toBe(true); // the activity type stays readable for operators
});

it('control: without the codec the failure message is in the history in clear', async () => {
  const profile = { email: `failplain.${randomUUID()}@example.test`, note: 'n/a' };
  const { workflowId } = await runRefusal(undefined, profile);
  expect((await historyBytes(workflowId)).includes(Buffer.from(profile.email))).toBe(true);
});
