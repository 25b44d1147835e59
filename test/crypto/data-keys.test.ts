// Per-user data keys against a real Postgres (a database of its own: rotation
// and the backfill act on every row):
// - crypto-shredding: once a user's key is destroyed, no key the system holds
//   opens the ciphertexts captured from the database;
// - rotation re-wraps data keys and leaves the data as it is;
// - the backfill moves values from before per-user keys under their owner's
//   key and seals profiles still in clear, resumably and idempotently.
import { randomBytes, randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { isolatedDatabase } from '../helpers/env';
import { Keyring, decryptWithKey } from '../../src/crypto/keyring';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { DataKeyDestroyedError, DataKeys } from '../../src/crypto/data-keys';
import { backfill, keyUsage, rotateKeys } from '../../src/crypto/rotation';
import { createProfiles } from '../../src/accounts/profile';
import { createToolService } from '../../src/tools/service';
import { createProviderKeyService } from '../../src/provider-keys/service';
import { PROMPT_LIMIT_DEFAULTS } from '../../src/config';

let prisma: PrismaClient;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ prisma, close } = await isolatedDatabase('sotally_data_keys'));
}, 60_000);
afterAll(() => close());

const spec = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const indexKey = randomBytes(32);
const { userName, userEmail, toolPrompt, executionInputs, providerKey } = ENCRYPTED_COLUMNS;

/** The raw 32-byte keys of a keyring spec ("id:base64,..."). */
const rawKeys = (keyringSpec: string) => keyringSpec.split(',').map((part) => Buffer.from(part.slice(part.indexOf(':') + 1), 'base64'));

/** A user with a profile, a tool, a provider key and a run, all sealed by the services as in production. */
async function userWithData(dataKeys: DataKeys) {
  const id = randomUUID();
  const email = `shred-${id}@example.test`;
  await createProfiles(prisma, dataKeys, indexKey).createUser(id, { name: `Name ${id}`, email, avatarUrl: null }, { passwordHash: 'x' });
  const tool = await createToolService(prisma, dataKeys, PROMPT_LIMIT_DEFAULTS).create(id, {
    name: 'Mine',
    description: '',
    prompt: `Secret prompt ${id} {{thing}}`,
    inputSchema: { type: 'object', properties: { thing: { type: 'string', maxLength: 50 } } },
    model: 'gpt-4o-mini',
    priceCredits: 10,
  });
  const key = await createProviderKeyService(prisma, dataKeys).add(id, { provider: 'openai', apiKey: `sk-${'k'.repeat(30)}` });
  const executionId = randomUUID();
  await prisma.execution.create({
    data: {
      id: executionId,
      userId: id,
      toolId: tool.id,
      model: 'gpt-4o-mini',
      reservedCredits: 1,
      status: 'succeeded',
      inputsCiphertext: await dataKeys.seal(executionInputs, executionId, id, `{"thing":"${id}"}`),
      expiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  return { id, email, toolId: tool.id, keyId: key.id, executionId };
}

describe('crypto-shredding', () => {
  it('after the user\'s key is destroyed, no key the system holds decrypts the ciphertexts captured from the database', async () => {
    const keyringSpec = `${spec('k2')},${spec('k1')}`;
    const dataKeys = new DataKeys(prisma, Keyring.parse(keyringSpec));
    const victim = await userWithData(dataKeys);
    await userWithData(dataKeys); // someone else, whose key must not open the victim's data either

    // What a backup, a replica or an old row version would hold.
    const user = await prisma.user.findUniqueOrThrow({ where: { id: victim.id } });
    const tool = await prisma.tool.findUniqueOrThrow({ where: { id: victim.toolId } });
    const key = await prisma.providerKey.findUniqueOrThrow({ where: { id: victim.keyId } });
    const run = await prisma.execution.findUniqueOrThrow({ where: { id: victim.executionId } });
    const captured = [
      { column: userName, rowId: victim.id, blob: user.nameCiphertext as Uint8Array },
      { column: userEmail, rowId: victim.id, blob: user.emailCiphertext as Uint8Array },
      { column: toolPrompt, rowId: victim.toolId, blob: tool.promptCiphertext as Uint8Array },
      { column: providerKey, rowId: victim.keyId, blob: key.keyCiphertext },
      { column: executionInputs, rowId: victim.executionId, blob: run.inputsCiphertext as Uint8Array },
    ];
    // Nothing of it is in clear, and before destruction it all opens.
    expect(JSON.stringify(user)).not.toContain(victim.email);
    for (const { column, rowId, blob } of captured) await expect(dataKeys.open(column, rowId, victim.id, blob)).resolves.toEqual(expect.any(String));

    await dataKeys.destroy(victim.id);

    // Every key the system holds: the keyring's keys and every data key still in user_keys.
    const wrapped = await prisma.userKey.findMany({ where: { wrappedKey: { not: null } } });
    const keyring = Keyring.parse(keyringSpec);
    const held = [
      ...rawKeys(keyringSpec),
      ...wrapped.map((row) => Buffer.from(keyring.open(ENCRYPTED_COLUMNS.userDataKey, row.userId, row.wrappedKey as Uint8Array), 'base64')),
    ];
    expect(held.length).toBeGreaterThanOrEqual(3);
    for (const { column, rowId, blob } of captured) {
      for (const candidate of held) expect(() => decryptWithKey(candidate, blob, column.aad(rowId))).toThrow();
      // Through the service too, with a fresh process's (empty) cache; and no new key is made for the erased user.
      await expect(new DataKeys(prisma, keyring).open(column, rowId, victim.id, blob)).rejects.toBeInstanceOf(DataKeyDestroyedError);
    }
    await expect(dataKeys.seal(executionInputs, randomUUID(), victim.id, 'more')).rejects.toBeInstanceOf(DataKeyDestroyedError);
    expect(await prisma.userKey.findUniqueOrThrow({ where: { userId: victim.id } })).toMatchObject({ wrappedKey: null, destroyedAt: expect.any(Date) });
  });

  it('the cache saves the database round trip: a run\'s fields cost one key look-up per user, not one per field', async () => {
    const dataKeys = new DataKeys(prisma, Keyring.parse(spec('c1')));
    const { id } = await userWithData(dataKeys);
    const cold = new DataKeys(prisma, dataKeys.keyring);
    const run = await prisma.execution.findFirstOrThrow({ where: { userId: id } });
    for (let i = 0; i < 5; i++) await cold.open(executionInputs, run.id, id, run.inputsCiphertext as Uint8Array);
    expect(cold.lookups).toBe(1);
  });
});

describe('rotation', () => {
  it('re-wraps every data key under the new keyring key without touching the data; the old key is then not needed', async () => {
    const oldSpec = spec(`old-${randomUUID().slice(0, 6)}`);
    const newSpec = spec(`new-${randomUUID().slice(0, 6)}`);
    const before = new DataKeys(prisma, Keyring.parse(oldSpec));
    const owner = await userWithData(before);
    await prisma.userKey.deleteMany({ where: { userId: { not: owner.id }, wrappedKey: { not: null } } }); // only this test's keys, under the old key
    const toolBefore = await prisma.tool.findUniqueOrThrow({ where: { id: owner.toolId } });

    const report = await rotateKeys(prisma, Keyring.parse(`${newSpec},${oldSpec}`), 1);
    expect(report.userDataKey).toEqual({ reencrypted: 1, unreadable: 0 });
    const usage = await keyUsage(prisma);
    expect(Object.keys(usage.userDataKey).every((id) => !id.startsWith('old-'))).toBe(true);
    expect(usage.toolPrompt).toEqual({ 'data key': expect.any(Number) });

    // The data is byte for byte what it was, and opens with the new keyring alone.
    const toolAfter = await prisma.tool.findUniqueOrThrow({ where: { id: owner.toolId } });
    expect(Buffer.from(toolAfter.promptCiphertext as Uint8Array)).toEqual(Buffer.from(toolBefore.promptCiphertext as Uint8Array));
    const after = new DataKeys(prisma, Keyring.parse(newSpec));
    expect(await after.open(toolPrompt, owner.toolId, owner.id, toolAfter.promptCiphertext as Uint8Array)).toBe(`Secret prompt ${owner.id} {{thing}}`);
    const profile = await createProfiles(prisma, after, indexKey).open(await prisma.user.findUniqueOrThrow({ where: { id: owner.id } }));
    expect(profile).toMatchObject({ name: `Name ${owner.id}`, email: owner.email });

    // Running it again has nothing left to do.
    expect((await rotateKeys(prisma, Keyring.parse(`${newSpec},${oldSpec}`))).userDataKey).toEqual({ reencrypted: 0, unreadable: 0 });
  });
});

describe('backfill', () => {
  it('seals clear profiles and moves keyring-sealed values under their owner\'s key, resumably and idempotently', async () => {
    const keyring = Keyring.parse(spec('b1'));
    // Rows as the code before this change wrote them: profile in clear, values under the keyring, no data key.
    const legacy = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const id = randomUUID();
        const email = `Legacy-${n}-${id}@Example.test`.toLowerCase();
        await prisma.user.create({ data: { id, name: `Legacy ${n}`, email, avatarUrl: `https://img.example/${n}.png`, passwordHash: 'x' } });
        const toolId = randomUUID();
        await prisma.tool.create({
          data: { id: toolId, creatorId: id, name: 't', description: '', inputSchema: {}, model: 'gpt-4o-mini', priceCredits: 1, promptCiphertext: keyring.seal(toolPrompt, toolId, `legacy prompt ${n}`) },
        });
        return { id, email, toolId, n };
      }),
    );
    const dataKeys = new DataKeys(prisma, keyring);
    const profiles = createProfiles(prisma, dataKeys, indexKey);
    // Before the backfill, log-in by email still finds them (the clear column), and reads work.
    expect((await profiles.findByEmail(legacy[0]!.email.toUpperCase()))?.id).toBe(legacy[0]!.id);

    const first = await backfill(prisma, dataKeys, indexKey, 2); // small batches: the walk crosses pages
    expect(first.profiles).toBeGreaterThanOrEqual(3);
    expect(first.columns.toolPrompt?.reencrypted).toBeGreaterThanOrEqual(3);

    for (const { id, email, toolId, n } of legacy) {
      const row = await prisma.user.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ name: null, email: null, avatarUrl: null });
      expect(JSON.stringify(row)).not.toContain(email);
      expect(await profiles.open(row)).toMatchObject({ name: `Legacy ${n}`, email, avatarUrl: `https://img.example/${n}.png` });
      expect((await profiles.findByEmail(` ${email.toUpperCase()} `))?.id).toBe(id);
      const tool = await prisma.tool.findUniqueOrThrow({ where: { id: toolId } });
      expect(Keyring.isKeyringBlob(tool.promptCiphertext as Uint8Array)).toBe(false);
      expect(await dataKeys.open(toolPrompt, toolId, id, tool.promptCiphertext as Uint8Array)).toBe(`legacy prompt ${n}`);
    }

    // Idempotent: a second run finds nothing to do and changes no byte.
    const snapshot = await prisma.tool.findMany({ where: { id: { in: legacy.map((l) => l.toolId) } }, orderBy: { id: 'asc' } });
    const second = await backfill(prisma, dataKeys, indexKey, 2);
    expect(second.profiles).toBe(0);
    expect(Object.values(second.columns).every((c) => c.reencrypted === 0)).toBe(true);
    expect(await prisma.tool.findMany({ where: { id: { in: legacy.map((l) => l.toolId) } }, orderBy: { id: 'asc' } })).toEqual(snapshot);
  });
});
