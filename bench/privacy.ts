// The costs of the privacy core, against a real Postgres holding BENCH_USERS
// accounts (100,000 by default):
//   - log-in's account look-up: the old plain `WHERE email = $1` (measured
//     before the backfill, on the legacy clear column) against the blind index
//     with the profile decrypted (after it), at concurrency 1 and 16;
//   - the backfill (profiles sealed, a data key made per user) and the re-wrap
//     of every data key by `rotate`, in users per second;
//   - the per-user key's cost per tool run: the encryption a run does (seal the
//     inputs, open the prompt twice, the inputs and the BYOM key, seal the
//     output, open both for the owner's view) with the keyring alone, as before,
//     and with data keys, cached and uncached.
import { randomBytes, randomUUID } from 'node:crypto';
import { createPrisma } from '../src/db';
import { Keyring } from '../src/crypto/keyring';
import { ENCRYPTED_COLUMNS } from '../src/crypto/columns';
import { DataKeys } from '../src/crypto/data-keys';
import { backfill, rotateKeys } from '../src/crypto/rotation';
import { createProfiles } from '../src/accounts/profile';
import { benchDatabase, machine, markdownTable, measure, percentile, writeBenchmarkSection } from './lib';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 3000);
const RUNS = Number(process.env.BENCH_CRYPTO_RUNS ?? 5000);
const spec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const email = (n: number) => `bench-${n}@bench.test`;
const randomUser = () => 1 + Math.floor(Math.random() * USERS);

async function main() {
  const db = await benchDatabase('sotally_bench_privacy');
  const prisma = createPrisma(db.url, 20);
  const oldSpec = spec('v1');
  const indexKey = randomBytes(32);
  await prisma.$executeRaw`
    INSERT INTO users (id, name, email, password_hash, updated_at)
    SELECT gen_random_uuid(), 'Bench user ' || g, 'bench-' || g || '@bench.test', 'x', now() FROM generate_series(1, ${USERS}) g`;
  await prisma.$executeRaw`ANALYZE users`;

  // 1. The old look-up, on the clear column (before the backfill empties it).
  const lookups: (string | number)[][] = [];
  for (const concurrency of [1, 16]) {
    const { latencies } = await measure(concurrency, LOOKUPS, () => prisma.user.findUnique({ where: { email: email(randomUser()) } }));
    lookups.push(['plain `email =` (before)', concurrency, percentile(latencies, 50).toFixed(2), percentile(latencies, 99).toFixed(2)]);
  }

  // 2. The backfill: every profile sealed under a new data key.
  const dataKeys = new DataKeys(prisma, Keyring.parse(oldSpec));
  let t0 = performance.now();
  const report = await backfill(prisma, dataKeys, indexKey);
  const backfillSeconds = (performance.now() - t0) / 1000;
  if (report.profiles !== USERS) throw new Error(`backfill sealed ${report.profiles} of ${USERS}`);
  await prisma.$executeRaw`ANALYZE users`;

  // 3. The blind-index look-up with the profile decrypted, the user's key not in the cache (a key look-up each).
  const loginKeys = new DataKeys(prisma, dataKeys.keyring);
  const profiles = createProfiles(prisma, loginKeys, indexKey);
  for (const concurrency of [1, 16]) {
    const { latencies } = await measure(concurrency, LOOKUPS, async () => {
      const user = await profiles.findByEmail(email(randomUser()));
      if (!user) throw new Error('not found');
      loginKeys.forget(user.id);
      return profiles.open(user);
    });
    lookups.push(['blind index + decrypt (after)', concurrency, percentile(latencies, 50).toFixed(2), percentile(latencies, 99).toFixed(2)]);
  }

  // 4. Re-wrap every data key under a new keyring key.
  const rotated = Keyring.parse(`${spec('v2')},${oldSpec}`);
  t0 = performance.now();
  const rotation = await rotateKeys(prisma, rotated);
  const rewrapSeconds = (performance.now() - t0) / 1000;
  if (rotation.userDataKey?.reencrypted !== USERS) throw new Error(`re-wrapped ${rotation.userDataKey?.reencrypted} of ${USERS}`);

  // 5. A run's encryption work, per run.
  const keyring = Keyring.parse(oldSpec);
  const [creator, user] = await prisma.user.findMany({ take: 2, select: { id: true } });
  const { toolPrompt, executionInputs, executionOutput, providerKey } = ENCRYPTED_COLUMNS;
  const ids = { tool: randomUUID(), run: randomUUID(), key: randomUUID() };
  const [prompt, inputs, output, apiKey] = ['Write a haiku about {{topic}}. '.repeat(10), '{"topic":"autumn rain"}', 'Cold drops on the eaves '.repeat(20), `sk-${'k'.repeat(40)}`];
  const stored = {
    prompt: keyring.seal(toolPrompt, ids.tool, prompt),
    key: keyring.seal(providerKey, ids.key, apiKey),
  };
  const keyringRun = async () => {
    const inputsBlob = keyring.seal(executionInputs, ids.run, inputs);
    keyring.open(toolPrompt, ids.tool, stored.prompt); // admission measures the prompt
    keyring.open(toolPrompt, ids.tool, stored.prompt);
    keyring.open(executionInputs, ids.run, inputsBlob);
    keyring.open(providerKey, ids.key, stored.key);
    const outputBlob = keyring.seal(executionOutput, ids.run, output);
    keyring.open(executionInputs, ids.run, inputsBlob);
    keyring.open(executionOutput, ids.run, outputBlob);
  };
  const warm = new DataKeys(prisma, rotated);
  const storedUnderDataKeys = {
    prompt: await warm.seal(toolPrompt, ids.tool, creator!.id, prompt),
    key: await warm.seal(providerKey, ids.key, user!.id, apiKey),
  };
  const dataKeyRun = (keys: DataKeys) => async () => {
    const inputsBlob = await keys.seal(executionInputs, ids.run, user!.id, inputs);
    await keys.open(toolPrompt, ids.tool, creator!.id, storedUnderDataKeys.prompt);
    await keys.open(toolPrompt, ids.tool, creator!.id, storedUnderDataKeys.prompt);
    await keys.open(executionInputs, ids.run, user!.id, inputsBlob);
    await keys.open(providerKey, ids.key, user!.id, storedUnderDataKeys.key);
    const outputBlob = await keys.seal(executionOutput, ids.run, user!.id, output);
    await keys.open(executionInputs, ids.run, user!.id, inputsBlob);
    await keys.open(executionOutput, ids.run, user!.id, outputBlob);
  };
  const runRows: (string | number)[][] = [];
  await dataKeyRun(warm)();
  for (const [label, once] of [
    ['keyring only (before)', keyringRun],
    ['per-user data keys, cached', dataKeyRun(warm)],
    // The two key look-ups (creator's, user's) a run pays when neither key is in the process's cache.
    [
      'per-user data keys, cache cold',
      () => {
        warm.forget(creator!.id);
        warm.forget(user!.id);
        return dataKeyRun(warm)();
      },
    ],
  ] as const) {
    const { latencies, seconds } = await measure(1, RUNS, once);
    runRows.push([label, (percentile(latencies, 50) * 1000).toFixed(0), (percentile(latencies, 99) * 1000).toFixed(0), Math.round(RUNS / seconds)]);
  }

  await prisma.$disconnect();
  await db.stop();

  const lookupTable = markdownTable(['account look-up', 'concurrency', 'p50 ms', 'p99 ms'], lookups);
  const rateTable = markdownTable(
    ['job', 'users', 'seconds', 'users per second'],
    [
      ['backfill (profile sealed, data key made)', USERS, backfillSeconds.toFixed(1), Math.round(USERS / backfillSeconds)],
      ['rotate (data key re-wrapped)', USERS, rewrapSeconds.toFixed(1), Math.round(USERS / rewrapSeconds)],
    ],
  );
  const runTable = markdownTable(['a run\'s encryption (8 seals and opens)', 'p50 µs', 'p99 µs', 'runs per second'], runRows);
  console.log(`${lookupTable}\n\n${rateTable}\n\n${runTable}`);
  writeBenchmarkSection(
    'privacy',
    `## Privacy core: blind-index log-in, per-user keys, backfill and re-wrap (\`bench/privacy.ts\`)

${machine()}; ${USERS.toLocaleString('en')} accounts in Postgres.

Log-in's account look-up (the scrypt verification that follows, ~100 ms at the production cost, is the same either way). "After" is the blind index (HMAC-SHA256 of the address) plus the decryption of the profile with a cold data-key cache, so one more query for the key:

${lookupTable}

${rateTable}

A tool run's encryption work in one process (seal the inputs, open the prompt at admission and in the activity, open the inputs and the BYOM key, seal the output, open both for the owner's view). The per-user key adds, per run, at most the two key look-ups of a cold cache; with a warm cache (the common case, \`DATA_KEY_CACHE_TTL\` 60 s) it adds the key cache look-up only:

${runTable}
`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
