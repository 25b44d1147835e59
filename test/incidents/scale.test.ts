// An "all users" incident over 1,000,000 synthetic accounts (a database of the
// file's own): the affected users are resolved batch by batch, as the saga's
// activity does, by the database; the process that drives it never holds the
// list, so its memory stays flat whatever the number of users. Every account
// ends in the incident's scope exactly once. The rate is printed.
import type { PrismaClient } from '@prisma/client';
import { isolatedDatabase, testConfig } from '../helpers/env';
import { incidentInput } from '../helpers/incidents';
import { createIncidents, incidentSettings } from '../../src/incidents/service';
import { RESOLVE_BATCH_SIZE } from '../../src/incidents/contract';

const USERS = Number(process.env.INCIDENT_SCALE_USERS ?? 1_000_000);
let db: Awaited<ReturnType<typeof isolatedDatabase>>;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await isolatedDatabase('incident_scale');
  prisma = db.prisma;
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it(`a selector over ${USERS.toLocaleString('en')} users resolves in bounded memory`, async () => {
  const made = Date.now();
  await prisma.$executeRaw`INSERT INTO users (id, password_hash, updated_at) SELECT gen_random_uuid(), 'synthetic', now() FROM generate_series(1, ${USERS})`;
  console.log(`${USERS} synthetic users inserted in ${Date.now() - made} ms`);

  const incidents = createIncidents(prisma, incidentSettings(testConfig()));
  const input = incidentInput(new Date(), { all: true });
  await incidents.record(input, `incident-${input.id}`, Date.now());

  let peakHeap = 0;
  const baseline = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - baseline)), 25);
  const started = Date.now();
  let batches = 0;
  let added = 0;
  try {
    for (let after: string | null = null; ; ) {
      const batch = await incidents.resolveBatch(input.id, { all: true }, after, RESOLVE_BATCH_SIZE);
      batches += 1;
      added += batch.added;
      if (batch.nextAfter === null) break;
      after = batch.nextAfter;
    }
    await incidents.finishResolution(input.id);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `resolved ${added} users in ${batches} batches of ${RESOLVE_BATCH_SIZE} in ${seconds.toFixed(1)} s ` +
      `(${Math.round(added / seconds)} users/s); peak heap growth ${(peakHeap / 2 ** 20).toFixed(1)} MiB`,
  );

  expect(added).toBe(USERS);
  expect(await prisma.incidentRecipient.count({ where: { incidentId: input.id, inScope: true } })).toBe(USERS);
  // Holding a million ids would take well over 60 MiB of heap (a UUID string is ~90 bytes in V8);
  // the resolution holds one batch's counters at a time.
  expect(peakHeap).toBeLessThan(32 * 2 ** 20);
  expect((await incidents.status(input.id, Date.now())).affected.total).toBe(USERS);
  // A second resolution of the same scope adds no one twice.
  const again = await incidents.resolveBatch(input.id, { all: true }, null, RESOLVE_BATCH_SIZE);
  expect(again.added).toBe(0);
}, 600_000);
