// Redaction throughput (issue 14): inputs of ~2 KB through `redactText`, three
// kinds of text (plain prose, prose full of personal data, text built to make
// patterns backtrack), against a baseline measured in the same run: AES-256-GCM
// decryption of the same inputs, which every sample needs anyway. Then what a
// creator waits for: `samples()` (what GET /v1/creator/tools/:id/input-samples
// calls) reading, decrypting and redacting 100 runs of 2 KB inputs.
//   BENCH_REDACTION_INPUTS=20000 node --import tsx bench/redaction.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { createPrisma } from '../src/db';
import { createProfiles } from '../src/accounts/profile';
import { ENCRYPTED_COLUMNS } from '../src/crypto/columns';
import { DataKeys } from '../src/crypto/data-keys';
import { decryptWithKey, encryptWithKey, Keyring } from '../src/crypto/keyring';
import { redactText } from '../src/input-samples/redaction';
import { createInputSampleService } from '../src/input-samples/service';
import { benchDatabase, machine, markdownTable, measure, percentile, writeBenchmarkSection } from './lib';

const INPUTS = Number(process.env.BENCH_REDACTION_INPUTS ?? 20_000);
const SIZE = 2048;
const SUBJECT = { name: 'Ada Lovelace', email: 'ada.lovelace@example.org' };

const WORDS = 'the report said our quarterly numbers grew while costs stayed flat so please summarise this for the board and keep it short'.split(' ');
const PERSONAL = [
  'mail john.doe@example.com', 'call +44 20 7946 0958', 'or (415) 555-2671', 'card 4111 1111 1111 1111', 'from 192.168.1.20',
  'host 2001:db8::ff00:42:8329', 'IBAN DE89 3704 0044 0532 0130 00', 'signed Ada Lovelace', 'on 06.12.34.56.78', 'version 1.2.3 on 2024-01-15',
];

/** A text of SIZE characters: words, and every `every`-th piece one of `extra`. */
function text(seed: number, extra: string[], every: number): string {
  const parts: string[] = [];
  for (let i = 0, length = 0; length < SIZE; i += 1) {
    const part = extra.length && i % every === every - 1 ? extra[(seed + i) % extra.length]! : WORDS[(seed * 7 + i) % WORDS.length]!;
    parts.push(part);
    length += part.length + 1;
  }
  return parts.join(' ').slice(0, SIZE);
}

const adversarial = (seed: number) => ['1 ', 'a.', 'a@', '12-', 'ab:', '1.', 'DE89 ', '(1)'][seed % 8]!.repeat(SIZE).slice(0, SIZE);

function throughput(inputs: string[], work: (input: string) => unknown): { perSecond: number; ms: number } {
  for (const input of inputs.slice(0, 500)) work(input); // warm-up
  const started = performance.now();
  for (const input of inputs) work(input);
  const ms = performance.now() - started;
  return { perSecond: inputs.length / (ms / 1000), ms };
}

async function main() {
  const corpora: [string, string[]][] = [
    ['plain prose, no personal data', Array.from({ length: INPUTS }, (_, i) => text(i, [], 1))],
    ['prose with ~12 pieces of personal data', Array.from({ length: INPUTS }, (_, i) => text(i, PERSONAL, 30))],
    ['adversarial (runs of digits, dots, @, colons, parentheses)', Array.from({ length: INPUTS }, (_, i) => adversarial(i))],
  ];
  const key = randomBytes(32);
  const rows: (string | number)[][] = [];
  for (const [what, inputs] of corpora) {
    const sealed = inputs.map((input) => encryptWithKey(key, input, 'bench'));
    let i = 0;
    const decrypt = throughput(inputs, () => decryptWithKey(key, sealed[i++ % sealed.length]!, 'bench'));
    const redact = throughput(inputs, (input) => redactText(input, SUBJECT));
    rows.push([what, INPUTS.toLocaleString('en'), Math.round(redact.perSecond).toLocaleString('en'), ((redact.perSecond * SIZE) / 2 ** 20).toFixed(1), Math.round(decrypt.perSecond).toLocaleString('en'), (decrypt.perSecond / redact.perSecond).toFixed(1)]);
  }

  // What a creator waits for: 100 samples of 2 KB read, decrypted and redacted, from 2,000 runs of 50 users.
  const db = await benchDatabase('sotally_bench_redaction');
  const prisma = createPrisma(db.url, 8);
  let service: { p50: number; p99: number; requests: number };
  try {
    const dataKeys = new DataKeys(prisma, Keyring.parse(`v1:${randomBytes(32).toString('base64')}`));
    const profiles = createProfiles(prisma, dataKeys, randomBytes(32));
    const creatorId = randomUUID();
    await profiles.createUser(creatorId, { name: 'Creator', email: 'creator@bench.test', avatarUrl: null }, { passwordHash: 'x' });
    const toolId = randomUUID();
    await prisma.tool.create({
      data: { id: toolId, creatorId, name: 'Bench tool', description: 'bench', inputSchema: {}, model: 'gpt-4o-mini', priceCredits: 1, promptCiphertext: Buffer.from('x') },
    });
    const users: string[] = [];
    for (let u = 0; u < 50; u += 1) {
      const id = randomUUID();
      await profiles.createUser(id, { name: `Bench User${u}`, email: `user${u}@bench.test`, avatarUrl: null }, { passwordHash: 'x' });
      users.push(id);
    }
    const now = Date.now();
    const runs = await Promise.all(
      Array.from({ length: 2000 }, async (_, r) => {
        const id = randomUUID();
        const userId = users[r % users.length]!;
        const inputs = JSON.stringify({ text: text(r, PERSONAL, 30) });
        return {
          id, userId, toolId, status: 'succeeded' as const, reservedCredits: 1, model: 'gpt-4o-mini',
          inputsCiphertext: await dataKeys.seal(ENCRYPTED_COLUMNS.executionInputs, id, userId, inputs),
          createdAt: new Date(now - r * 60_000), expiresAt: new Date(now + 90 * 86_400_000),
        };
      }),
    );
    await prisma.execution.createMany({ data: runs });
    const samples = createInputSampleService(prisma, dataKeys, profiles);
    if ((await samples.samples(creatorId, toolId, 100)).length !== 100) throw new Error('expected 100 samples');
    const { latencies } = await measure(4, 200, () => samples.samples(creatorId, toolId, 100));
    service = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), requests: latencies.length };
  } finally {
    await prisma.$disconnect();
    await db.stop();
  }

  const body = `## Redaction of input samples (\`bench/redaction.ts\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}. \`redactText\` (every detector, with the user's own name
and email) over ${INPUTS.toLocaleString('en')} inputs of ${SIZE} characters each, one core; the baseline, in the same run, is
AES-256-GCM decryption of the same inputs under a data key, which reading any sample needs anyway.

${markdownTable(['inputs', 'count', 'redacted inputs/s', 'MiB/s', 'decrypted inputs/s (baseline)', 'redaction ÷ decryption time'], rows)}

A creator's request (\`createInputSampleService().samples\`, what \`GET /v1/creator/tools/:id/input-samples?limit=100\` calls):
100 runs of 2 KB inputs read from 2,000 runs of 50 users, their owners' profiles and keys opened, decrypted and redacted;
${service.requests} requests, 4 at a time: **p50 ${service.p50.toFixed(1)} ms, p99 ${service.p99.toFixed(1)} ms**.
`;
  console.log(body);
  writeBenchmarkSection('redaction', body);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
