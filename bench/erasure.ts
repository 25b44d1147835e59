// Erasure at scale: the time to erase a user with 10,000 executions (and their ledger:
// a purchase, then a hold and a capture per run) once the grace period is over, on a
// Temporal dev server with the real worker activities, Postgres and a local SMTP
// server; with the time of each step, read from the workflow's history.
//   BENCH_ERASURE_EXECUTIONS=10000 node --import tsx bench/erasure.ts
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createDataKeys } from '../src/crypto/data-keys';
import { createPrisma } from '../src/db';
import { createLogger } from '../src/logger';
import { createActivities } from '../src/activities';
import { createProfiles } from '../src/accounts/profile';
import { parseEmailIndexKey } from '../src/accounts/email-index';
import { createPrivacyRequests } from '../src/privacy/requests';
import { createErasureService } from '../src/erasure/service';
import { erasureWorkflowId } from '../src/erasure/contract';
import { userIdDigest } from '../src/erasure/steps';
import { createDataConverter } from '../src/temporal/codec';
import { freePort, startTemporalDevServer } from '../scripts/lib/dev-services';
import { startSmtpCatcher } from '../scripts/lib/dev-mail';
import { benchDatabase, benchWorkerConfig, machine, markdownTable, writeBenchmarkSection } from './lib';

const EXECUTIONS = Number(process.env.BENCH_ERASURE_EXECUTIONS ?? 10_000);

type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;
const millis = (t: Timestamp) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

async function main() {
  const db = await benchDatabase('sotally_bench_erasure');
  const temporal = await startTemporalDevServer({ port: await freePort(), headless: true });
  const mails: string[][] = [];
  const smtp = await startSmtpCatcher(0, ({ to }) => mails.push(to));
  const { config, keyring } = benchWorkerConfig('erasure', { databaseUrl: db.url, temporalAddress: temporal.address, smtpUrl: smtp.url });
  const prisma = createPrisma(db.url, 10);
  const dataKeys = createDataKeys(prisma, keyring, config);
  const profiles = createProfiles(prisma, dataKeys, parseEmailIndexKey(config.EMAIL_INDEX_KEY));

  // The user, their tool, EXECUTIONS runs with sealed-size blobs, and their books.
  const userId = randomUUID();
  const email = `erased-${userId.slice(0, 8)}@bench.test`;
  await profiles.createUser(userId, { name: 'To Be Erased', email, avatarUrl: null }, { passwordHash: 'x' });
  const tool = await prisma.tool.create({ data: { creatorId: userId, name: 't', description: '', inputSchema: {}, model: 'gpt-4o-mini', priceCredits: 1 } });
  const seedStarted = performance.now();
  await prisma.$executeRaw`
    INSERT INTO executions (id, user_id, tool_id, status, reserved_credits, cost_credits, model, inputs_ciphertext, output_ciphertext, created_at, expires_at)
    SELECT gen_random_uuid(), ${userId}::uuid, ${tool.id}::uuid, 'succeeded', 1, 1, 'gpt-4o-mini',
           decode(repeat('ab', 300), 'hex'), decode(repeat('cd', 1500), 'hex'), now(), now() + interval '90 days'
      FROM generate_series(1, ${EXECUTIONS})`;
  await prisma.$executeRaw`INSERT INTO credit_accounts (user_id, available, reserved, updated_at) VALUES (${userId}::uuid, 0, 0, now())`;
  await prisma.$executeRaw`
    INSERT INTO ledger_entries (id, account_id, type, available_delta, reserved_delta, idempotency_key)
    VALUES (gen_random_uuid(), ${userId}::uuid, 'purchase', ${EXECUTIONS}, 0, ${`purchase:bench-${userId}`})`;
  await prisma.$executeRaw`
    INSERT INTO credit_reservations (execution_id, account_id, tool_id, amount, state, captured_amount, expires_at, settled_at)
    SELECT id, user_id, tool_id, 1, 'captured', 1, now(), now() FROM executions WHERE user_id = ${userId}::uuid`;
  await prisma.$executeRaw`
    INSERT INTO ledger_entries (id, account_id, type, available_delta, reserved_delta, tool_id, execution_id, idempotency_key)
    SELECT gen_random_uuid(), user_id, 'reservation'::"LedgerEntryType", -1, 1, tool_id, id, 'reservation:' || id FROM executions WHERE user_id = ${userId}::uuid
    UNION ALL
    SELECT gen_random_uuid(), user_id, 'capture'::"LedgerEntryType", 0, -1, tool_id, id, 'capture:' || id FROM executions WHERE user_id = ${userId}::uuid`;
  const ledgerRows = await prisma.ledgerEntry.count({ where: { accountId: userId } });
  console.log(`seeded ${EXECUTIONS} executions and ${ledgerRows} ledger entries in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter: createDataConverter(keyring) });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: require.resolve('../src/workflows'),
    activities: createActivities({ config, prisma, keyring, logger: createLogger('warn'), temporal: client }),
    dataConverter: createDataConverter(keyring),
  });
  const erasure = createErasureService({
    prisma,
    dataKeys,
    profiles,
    requests: createPrivacyRequests(prisma, { deadlineMs: config.PRIVACY_REQUEST_DEADLINE }),
    temporal: client,
    // The grace period is over at once: what is measured is the erasure itself.
    settings: { graceMs: 0, deadlineMs: config.ERASURE_DEADLINE, warningMs: config.ERASURE_WARNING, taskQueue: config.TEMPORAL_TASK_QUEUE },
  });

  const steps: { step: string; ms: number }[] = [];
  let totalSeconds = 0;
  await worker.runUntil(async () => {
    const t0 = performance.now();
    await erasure.request(userId, { channel: 'api', openedBy: 'user' });
    const handle = client.workflow.getHandle(erasureWorkflowId(userIdDigest(userId)));
    await handle.result();
    totalSeconds = (performance.now() - t0) / 1000;
    const history = await handle.fetchHistory();
    const scheduled = new Map<string, { name: string; at: number }>();
    for (const event of history.events ?? []) {
      const attrs = event.activityTaskScheduledEventAttributes;
      if (attrs) scheduled.set(String(event.eventId), { name: attrs.activityType?.name ?? '?', at: millis(event.eventTime) });
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const start = scheduled.get(String(completed.scheduledEventId));
        if (start) steps.push({ step: start.name, ms: millis(event.eventTime) - start.at });
      }
    }
  });

  const left = await prisma.execution.count({ where: { userId } });
  const users = await prisma.user.count({ where: { id: userId } });
  const certificate = await prisma.erasureCertificate.findFirstOrThrow();
  const pseudonymized = await prisma.ledgerEntry.count({ where: { accountId: certificate.pseudonym } });
  if (left !== 0 || users !== 0 || pseudonymized !== ledgerRows || mails.filter((to) => to.includes(email)).length !== 1) {
    throw new Error(`erasure incomplete: ${left} executions, ${users} users left, ${pseudonymized}/${ledgerRows} entries pseudonymized, ${mails.length} mails`);
  }
  await connection.close();
  await nativeConnection.close();
  await prisma.$disconnect();
  await new Promise<void>((resolve) => smtp.server.close(() => resolve()));
  await temporal.stop();
  await db.stop();

  console.log({ totalSeconds, steps });
  const body = `## Erasure (\`bench/erasure.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}: one user with ${EXECUTIONS.toLocaleString('en')} executions
(600 + 3,000 bytes of ciphertext each) and ${ledgerRows.toLocaleString('en')} ledger entries, erased on a Temporal dev server by the
real worker activities once the grace period is over (request to completion, confirmation mail included).
The executions had no open retention timers: each \`purgeNow\` signal answered "not found", which costs one round trip like a delivered one.

${markdownTable(
  ['what', 'result'],
  [
    ['executions deleted', EXECUTIONS],
    ['ledger entries pseudonymized', pseudonymized],
    ['request to erasure completed (s)', totalSeconds.toFixed(1)],
    ...steps.map((s) => [`step \`${s.step}\` (ms)`, s.ms.toFixed(0)]),
  ],
)}`;
  writeBenchmarkSection('erasure', body);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
