// Key rotation over the registry of encrypted columns: after `rotate`, every
// value this test wrote under the old key opens with the new key alone, and
// still decrypts to the same plaintext (bound to its own row).
import { randomBytes, randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { isolatedDatabase } from '../helpers/env';
import { createUser } from '../helpers/accounts';
import { Keyring } from '../../src/crypto/keyring';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { keyUsage, rotateKeys } from '../../src/crypto/rotation';
import { createToolService } from '../../src/tools/service';
import { createProviderKeyService } from '../../src/provider-keys/service';
import { PROMPT_LIMIT_DEFAULTS } from '../../src/config';

// Rotation re-encrypts every row of every registered column: in the shared
// database it would re-key what the tests running beside it wrote.
let prisma: PrismaClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ prisma, close } = await isolatedDatabase('sotally_rotation'));
}, 60_000);
afterAll(() => close());

const spec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;

it('re-encrypts every registered column under the current key; the old key is then not needed', async () => {
  const oldId = `old-${randomUUID().slice(0, 8)}`;
  const newId = `new-${randomUUID().slice(0, 8)}`;
  const oldSpec = spec(oldId);
  const newSpec = spec(newId);
  const before = Keyring.parse(oldSpec);

  const creator = await createUser(prisma, 'Rotating Creator');
  const tool = await createToolService(prisma, before, PROMPT_LIMIT_DEFAULTS).create(creator, {
    name: 'Rotated',
    description: '',
    prompt: 'Rotate {{thing}}',
    inputSchema: { type: 'object', properties: { thing: { type: 'string', maxLength: 50 } } },
    model: 'gpt-4o-mini',
    priceCredits: 10,
  });
  const key = await createProviderKeyService(prisma, before).add(creator, { provider: 'openai', apiKey: `sk-${'r'.repeat(30)}` });
  const executionId = randomUUID();
  await prisma.execution.create({
    data: {
      id: executionId,
      userId: creator,
      toolId: tool.id,
      model: 'gpt-4o-mini',
      reservedCredits: 1,
      status: 'succeeded',
      inputsCiphertext: before.seal(ENCRYPTED_COLUMNS.executionInputs, executionId, '{"thing":"keys"}'),
      outputCiphertext: before.seal(ENCRYPTED_COLUMNS.executionOutput, executionId, 'rotated output'),
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  expect((await keyUsage(prisma)).toolPrompt[oldId]).toBe(1);

  const during = Keyring.parse(`${newSpec},${oldSpec}`);
  const report = await rotateKeys(prisma, during, 2); // a small batch: the keyset walk crosses pages
  expect(report.toolPrompt.reencrypted).toBeGreaterThanOrEqual(1);
  expect(report.executionInputs.reencrypted).toBeGreaterThanOrEqual(1);

  const after = Keyring.parse(newSpec); // the old key is gone
  const toolRow = await prisma.tool.findUniqueOrThrow({ where: { id: tool.id } });
  const keyRow = await prisma.providerKey.findUniqueOrThrow({ where: { id: key.id } });
  const run = await prisma.execution.findUniqueOrThrow({ where: { id: executionId } });
  expect(after.open(ENCRYPTED_COLUMNS.toolPrompt, tool.id, toolRow.promptCiphertext as Uint8Array)).toBe('Rotate {{thing}}');
  expect(after.open(ENCRYPTED_COLUMNS.providerKey, key.id, keyRow.keyCiphertext)).toBe(`sk-${'r'.repeat(30)}`);
  expect(after.open(ENCRYPTED_COLUMNS.executionInputs, executionId, run.inputsCiphertext as Uint8Array)).toBe('{"thing":"keys"}');
  expect(after.open(ENCRYPTED_COLUMNS.executionOutput, executionId, run.outputCiphertext as Uint8Array)).toBe('rotated output');
  // Still bound to its row and column: the prompt's blob does not open as another row's.
  expect(() => after.open(ENCRYPTED_COLUMNS.toolPrompt, randomUUID(), toolRow.promptCiphertext as Uint8Array)).toThrow();

  const usage = await keyUsage(prisma);
  for (const column of Object.values(usage)) expect(column[oldId]).toBeUndefined();

  // Running it again leaves values already under the current key as they are.
  await rotateKeys(prisma, during);
  const ours = await prisma.tool.findUniqueOrThrow({ where: { id: tool.id } });
  expect(Buffer.from(ours.promptCiphertext as Uint8Array)).toEqual(Buffer.from(toolRow.promptCiphertext as Uint8Array));
});
