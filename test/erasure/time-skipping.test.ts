// Erasure on Temporal's time-skipping test server, against the real database:
// cancelled in the grace period it deletes nothing; otherwise, by the deadline,
// no table and no workflow history holds the user's name, email, avatar,
// inputs, outputs, BYOM key or prompt, nor the user id; what was encrypted
// before no longer decrypts; the ledger still balances under the pseudonym;
// one confirmation is mailed to the address of the request; a certificate with
// no personal data remains. A step that keeps failing alerts the DPO at day 25.
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { PrismaClient } from '@prisma/client';
import { createDataConverter } from '../../src/temporal/codec';
import { temporalBinary } from '../../scripts/lib/temporal-binaries';
import { HttpClient, signedUpClient, startTestApi, TEST_PASSWORD, type TestApi } from '../helpers/api';
import { closeTestPrisma, capturingLogger, testPrisma, uniqueEmail } from '../helpers/env';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp';
import { createAccount, fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { createLedger } from '../../src/credits/ledger';
import { executionRetentionWorkflow } from '../../src/retention/workflows';
import { retentionWorkflowId } from '../../src/retention/contract';
import { erasureWorkflowId } from '../../src/erasure/contract';
import { createErasureService, type ErasureService } from '../../src/erasure/service';
import { userIdDigest } from '../../src/erasure/steps';
import { createPrivacyRequests } from '../../src/privacy/requests';
import { createProfiles } from '../../src/accounts/profile';
import { parseEmailIndexKey } from '../../src/accounts/email-index';
import { DataKeys } from '../../src/crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { createActivities } from '../../src/activities';
import { createWorker } from '../../src/worker';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/codec';

const prisma: PrismaClient = testPrisma();
const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let model: FakeOpenAI;
let smtp: FakeSmtp;
let stack: TestApi; // the API on the dev server: makes the user's data as the product does
let devWorker: TestWorker;
let worker: TestWorker; // the erasure's worker, on the time-skipping server
let temporal: Client; // a client of the time-skipping server
let erasure: ErasureService;

function erasureService(taskQueue: string): ErasureService {
  const dataKeys = new DataKeys(prisma, stack.deps.keyring);
  return createErasureService({
    prisma,
    dataKeys,
    profiles: createProfiles(prisma, dataKeys, parseEmailIndexKey(stack.deps.config.EMAIL_INDEX_KEY)),
    requests: createPrivacyRequests(prisma, { deadlineMs: 30 * DAY }),
    temporal,
    settings: { graceMs: 7 * DAY, deadlineMs: 30 * DAY, warningMs: 25 * DAY, taskQueue },
  });
}

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: temporalBinary('test-server') } } });
  [model, smtp] = await Promise.all([startFakeOpenAI(), startFakeSmtp()]);
  stack = await startTestApi({ OPENAI_API_KEY: 'sk-platform-key-for-tests-0000', OPENAI_BASE_URL: model.baseUrl, TEMPORAL_TASK_QUEUE: `erasure-dev-${randomUUID()}` });
  devWorker = await startTestWorker(stack.deps.config);
  worker = await startTestWorker({ ...stack.deps.config, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `erasure-${randomUUID()}`, SMTP_URL: smtp.url });
  temporal = new Client({ connection: env.connection, dataConverter: createDataConverter(stack.deps.keyring) });
  erasure = erasureService(worker.worker.options.taskQueue);
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await devWorker?.stop();
  await stack?.close();
  await Promise.all([model?.close(), smtp?.close()]);
  await env?.teardown();
  await closeTestPrisma();
});

/** A user with something in every category: profile, a tool and its prompt, a BYOM key, a run and its data, credits, a token. */
async function userWithData(tag: string) {
  const markers = {
    name: `NAME-${tag}`,
    email: uniqueEmail(`erase-${tag.toLowerCase()}`),
    avatar: `https://avatars.example/AVATAR-${tag}.png`,
    prompt: `PROMPT-${tag}`,
    input: `INPUT-${tag}`,
    key: `sk-KEY${tag.replace(/[^A-Za-z0-9]/g, '')}${'x'.repeat(24)}`,
  };
  const client = new HttpClient(stack.baseUrl);
  const signup = await client.post('/v1/auth/signup', { name: markers.name, email: markers.email, password: TEST_PASSWORD, avatarUrl: markers.avatar });
  expect(signup.status).toBe(201);
  const userId = signup.body.user.id as string;
  const tool = await createTool(client, { prompt: `${markers.prompt}: say hello to {{who}}.` });
  expect((await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: markers.key, label: 'mine' })).status).toBe(201);
  await client.post('/v1/auth/tokens', { name: 'script' });
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), userId, 100);
  const run = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: markers.input }, waitSeconds: 20 });
  expect(run.body.status).toBe('succeeded');
  expect(run.body.output).toContain(markers.input);
  // Someone else ran the user's tool: their run and their ledger keep the tool id.
  const other = await signedUpClient(stack.baseUrl, 'Other user');
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), other.user.id, 50);
  const otherRun = await other.client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'someone' }, waitSeconds: 20 });
  expect(otherRun.body.status).toBe('succeeded');
  return { client, userId, markers, toolId: tool.id, executionId: run.body.id as string, otherRunId: otherRun.body.id as string };
}

/** Every row of every table of the schema, as text, that contains `needle`. */
async function tablesContaining(needle: string): Promise<string[]> {
  const tables = await prisma.$queryRaw<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
  const found: string[] = [];
  for (const { table_name } of tables) {
    const [row] = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${table_name}" t WHERE t::text ILIKE $1`, `%${needle}%`);
    if (Number(row?.n ?? 0) > 0) found.push(table_name);
  }
  return found;
}

it('cancelled in its grace period, the erasure deletes nothing and the account goes on', async () => {
  const user = await userWithData(`CANCEL${randomUUID().slice(0, 6)}`);
  const requested = await erasure.request(user.userId);
  expect(requested.created).toBe(true);
  expect(requested.dueAt.getTime() - Date.now()).toBeGreaterThan(30 * DAY - 60_000);
  const again = await erasure.request(user.userId);
  expect(again).toMatchObject({ requestId: requested.requestId, created: false });

  await env.sleep('3d');
  await erasure.cancel(user.userId, requested.requestId);
  const handle = temporal.workflow.getHandle(erasureWorkflowId(userIdDigest(user.userId)));
  expect(await handle.result()).toEqual({ status: 'cancelled' });
  await env.sleep('30d');

  expect(await prisma.user.count({ where: { id: user.userId } })).toBe(1);
  expect(await prisma.execution.count({ where: { userId: user.userId } })).toBe(1);
  expect(await prisma.userKey.findUniqueOrThrow({ where: { userId: user.userId } })).toMatchObject({ destroyedAt: null });
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.requestId } })).toMatchObject({ status: 'cancelled' });
  expect((await user.client.get('/v1/me')).body.name).toBe(user.markers.name);
  expect(smtp.messages.filter((m) => m.to.includes(user.markers.email.toLowerCase()))).toHaveLength(0);
}, 180_000);

it('after the grace period everything personal is gone by day 30; the ledger balances under the pseudonym; one confirmation; a certificate', async () => {
  const user = await userWithData(`ERASE${randomUUID().slice(0, 6)}`);
  const keys = new DataKeys(prisma, stack.deps.keyring);
  // Ciphertexts as a backup would hold them, before the erasure.
  const execution = await prisma.execution.findUniqueOrThrow({ where: { id: user.executionId } });
  const account = await prisma.user.findUniqueOrThrow({ where: { id: user.userId } });
  expect(await keys.open(ENCRYPTED_COLUMNS.executionInputs, execution.id, user.userId, execution.inputsCiphertext!)).toContain(user.markers.input);
  const balanceBefore = await prisma.creditAccount.findUniqueOrThrow({ where: { userId: user.userId } });
  const entriesBefore = await prisma.ledgerEntry.count({ where: { accountId: user.userId } });
  // The run's retention timer, here on the time-skipping server: erasure ends it.
  const retention = await temporal.workflow.start(executionRetentionWorkflow, {
    taskQueue: worker.worker.options.taskQueue,
    workflowId: retentionWorkflowId(user.executionId),
    args: [{ executionId: user.executionId, expiresAt: execution.expiresAt.toISOString() }],
  });

  const requested = await erasure.request(user.userId);
  const handle = temporal.workflow.getHandle(erasureWorkflowId(userIdDigest(user.userId)));
  await env.sleep('6d');
  expect(await prisma.user.count({ where: { id: user.userId } })).toBe(1); // still in grace
  await env.sleep('2d'); // past the grace period: the steps run (this client's result() does not skip time)
  const outcome = await handle.result();
  expect(outcome.status).toBe('completed');
  // On the server's clock: erasing began after the 7-day grace period and ended before day 30.
  const events = (await handle.fetchHistory()).events ?? [];
  const at = (i: number) => Number(events.at(i)?.eventTime?.seconds ?? 0) * 1000;
  expect(at(-1) - at(0)).toBeGreaterThanOrEqual(7 * DAY);
  expect(at(-1) - at(0)).toBeLessThan(30 * DAY);
  expect((await retention.result()).purgedAt).not.toBeNull();

  // No table holds any marker, nor the user id.
  for (const needle of [...Object.values(user.markers), user.userId]) {
    expect({ needle, tables: await tablesContaining(needle) }).toEqual({ needle, tables: [] });
  }
  // Nor does the erasure's history (as stored), nor the run's.
  const histories = JSON.stringify([await handle.fetchHistory(), await retention.fetchHistory()]);
  for (const needle of [...Object.values(user.markers), user.userId]) expect(histories).not.toContain(needle);

  // What a backup held no longer decrypts: the key is gone (a reader with no key cached, as after a restart).
  const afterwards = new DataKeys(prisma, stack.deps.keyring);
  await expect(afterwards.open(ENCRYPTED_COLUMNS.executionInputs, execution.id, user.userId, execution.inputsCiphertext!)).rejects.toThrow();
  await expect(afterwards.open(ENCRYPTED_COLUMNS.userName, account.id, account.id, account.nameCiphertext!)).rejects.toThrow();

  // The financial records stay, complete, under the pseudonym, and still add up.
  const { pseudonym } = (await prisma.erasureCertificate.findUniqueOrThrow({ where: { requestId: requested.requestId } }));
  const balance = await prisma.creditAccount.findUniqueOrThrow({ where: { userId: pseudonym } });
  expect(balance).toMatchObject({ available: balanceBefore.available, reserved: 0 });
  const sums = await prisma.ledgerEntry.aggregate({ where: { accountId: pseudonym }, _sum: { availableDelta: true, reservedDelta: true }, _count: true });
  expect(sums._count).toBe(entriesBefore);
  expect(sums._sum.availableDelta).toBe(balance.available);
  expect(sums._sum.reservedDelta).toBe(0);
  // The tool others ran stays as a tombstone: their run and ledger still name it; its prompt is destroyed.
  const tool = await prisma.tool.findUniqueOrThrow({ where: { id: user.toolId } });
  expect(tool).toMatchObject({ creatorId: pseudonym, promptCiphertext: null, name: '', deletedAt: expect.any(Date) });
  expect(await prisma.execution.count({ where: { id: user.otherRunId } })).toBe(1);

  // One confirmation, to the address of the request; the certificate names no one.
  const mails = smtp.messages.filter((m) => m.to.includes(user.markers.email.toLowerCase()));
  expect(mails).toHaveLength(1);
  expect(mails[0]!.header('subject')).toMatch(/deleted/i);
  const certificate = await prisma.erasureCertificate.findUniqueOrThrow({ where: { requestId: requested.requestId } });
  expect(certificate.categories).toMatchObject({ executions: { deleted: 1 }, provider_keys: { deleted: 1 }, ledger_entries: { updated: entriesBefore } });
  expect(await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.requestId } })).toMatchObject({ status: 'completed', userId: null });
  expect(await prisma.erasureRequest.findUniqueOrThrow({ where: { requestId: requested.requestId } })).toMatchObject({ userId: null, recipientCiphertext: null });

  // And the account is closed: the old password opens nothing.
  const login = await new HttpClient(stack.baseUrl).post('/v1/auth/login', { email: user.markers.email, password: TEST_PASSWORD });
  expect(login.status).toBe(401);
}, 240_000);

it('a step that keeps failing alerts the DPO at day 25 and marks the request at risk', async () => {
  const { id: officerId, email: officerEmail } = await createAccount(prisma, 'Officer');
  await prisma.user.update({ where: { id: officerId }, data: { roles: ['user', 'dpo'] } });
  const { id: userId } = await createAccount(prisma, 'Stuck Erasure');

  // A worker whose data-erasing step always fails (the database refuses, say).
  const taskQueue = `erasure-failing-${randomUUID()}`;
  const config = { ...stack.deps.config, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, SMTP_URL: smtp.url };
  const connection = await NativeConnection.connect({ address: env.address });
  const silent = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };
  const failing: Worker = await createWorker({
    config,
    keyring: stack.deps.keyring,
    connection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: silent }),
    activities: {
      ...createActivities({ config, prisma, keyring: stack.deps.keyring, logger: capturingLogger().logger, temporal }),
      async eraseUserData() {
        throw ApplicationFailure.retryable('the database refused the erasure', 'injected');
      },
    },
  });
  await failing.runUntil(async () => {
    const service = erasureService(taskQueue);
    const requested = await service.request(userId);
    const handle = temporal.workflow.getHandle(erasureWorkflowId(userIdDigest(userId)));
    await env.sleep('26d');
    const request = await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requested.requestId } });
    expect(request).toMatchObject({ status: 'running', atRiskAt: expect.any(Date) });
    const alerts = smtp.messages.filter((m) => m.to.includes(officerEmail));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.raw).toContain(requested.requestId);
    expect(alerts[0]!.raw).not.toContain(userId);

    // On the server's clock, the alert went out on day 25, not before; the account is still there (nothing half-erased was confirmed).
    const events = (await handle.fetchHistory()).events ?? [];
    const time = (e: (typeof events)[number]) => Number(e.eventTime?.seconds ?? 0) * 1000;
    const alert = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'alertDpoErasureAtRisk');
    expect(alert).toBeDefined();
    expect(time(alert!) - time(events[0]!)).toBeGreaterThanOrEqual(25 * DAY);
    expect(time(alert!) - time(events[0]!)).toBeLessThan(25 * DAY + 3_600_000);
    expect(await prisma.erasureCertificate.count({ where: { requestId: requested.requestId } })).toBe(0);
    await handle.terminate('test over');
  });
  await connection.close();
}, 240_000);
