// The reservation sweeper: a Temporal Schedule (visible in the UI) whose
// workflow releases holds left past their expiry; and ledger refusals reach
// workflows as non-retryable failures carrying the refusal's code.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createTemporalClient } from '../../src/client';
import { Keyring } from '../../src/crypto/keyring';
import { createLedger } from '../../src/credits/ledger';
import { createCreditActivities } from '../../src/credits/activities';
import { SEND_SECURITY_ALERTS_SCHEDULE_ID } from '../../src/mail/contract';
import { ANALYTICS_ROLLUP_SCHEDULE_ID } from '../../src/analytics/contract';
import { ensureSchedules } from '../../src/temporal/schedules';
import { RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID } from '../../src/credits/contract';
import { SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID } from '../../src/retention/contract';
import { SECURITY_DATA_CLEANUP_SCHEDULE_ID } from '../../src/security-data/contract';
import { closeTestPrisma, testConfig, testPrisma } from '../helpers/env';
import { createUser, expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { waitFor } from '../helpers/wait';

const prisma = testPrisma();
const config = testConfig({ TEMPORAL_TASK_QUEUE: `sweeper-${randomUUID()}`, RESERVATION_SWEEP_INTERVAL: '1h', RESERVATION_TTL: '1ms' });
const client = createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS));
let worker: TestWorker;

beforeAll(async () => {
  worker = await startTestWorker(config);
}, 60_000);

afterAll(async () => {
  for (const id of [RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID, SWEEP_EXPIRED_EXECUTIONS_SCHEDULE_ID, SECURITY_DATA_CLEANUP_SCHEDULE_ID, SEND_SECURITY_ALERTS_SCHEDULE_ID, ANALYTICS_ROLLUP_SCHEDULE_ID]) await client.schedule.getHandle(id).delete().catch(() => undefined);
  await client.connection.close();
  await worker.stop();
  await closeTestPrisma();
});

it('creates the sweeper schedule idempotently, and a run of it releases expired holds', async () => {
  await ensureSchedules(client, config);
  await ensureSchedules(client, config); // every worker replica runs this at start
  const handle = client.schedule.getHandle(RELEASE_EXPIRED_RESERVATIONS_SCHEDULE_ID);
  const description = await handle.describe();
  expect(description.spec.intervals?.[0]?.every).toBe(3_600_000);

  const account = await createUser(prisma);
  const ledger = createLedger(prisma, { reservationTtlMs: config.RESERVATION_TTL });
  await fundAccount(prisma, ledger, account, 30);
  const executionId = randomUUID();
  await ledger.reserve({ accountId: account, executionId, amount: 30 });

  await handle.trigger();
  await waitFor(async () => (await prisma.creditReservation.findUniqueOrThrow({ where: { executionId } })).state === 'released', {
    what: 'the sweeper to release the expired hold',
    timeoutMs: 30_000,
  });
  expect(await expectLedgerConsistent(prisma, account)).toEqual({ available: 30, reserved: 0 });
}, 60_000);

it('ledger refusals become non-retryable ApplicationFailures typed by their code', async () => {
  const account = await createUser(prisma);
  const activities = createCreditActivities(createLedger(prisma, { reservationTtlMs: 60_000 }));
  const failure = await activities.reserveCredits({ accountId: account, executionId: randomUUID(), amount: 5 }).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'insufficient_credits', nonRetryable: true });
});
