// Restriction stops non-essential processing only: a run the user starts is the
// contract itself, so it still runs while the account is restricted and objects
// to every purpose.
import { signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';

const prisma = testPrisma();
const { api } = useExecutionStack();

it('a restricted user who objects to everything still runs tools', async () => {
  const creator = await signedUpClient(api.baseUrl, 'Creator');
  const tool = await createTool(creator.client);
  const { client, user } = await signedUpClient(api.baseUrl);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.id, 100);
  expect((await client.put('/v1/privacy/restriction', { restricted: true })).status).toBe(200);
  expect((await client.put('/v1/privacy/objections', { analytics: true, creatorSharing: true, marketing: true })).status).toBe(200);

  const res = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Ada', language: 'fr' } });
  expect(res.status).toBe(202);
  const done = await waitFor(async () => {
    const row = await prisma.execution.findUniqueOrThrow({ where: { id: res.body.id } });
    return row.status === 'succeeded' ? row : undefined;
  }, { what: 'the run to finish' });
  expect(done.status).toBe('succeeded');
});
