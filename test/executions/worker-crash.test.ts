// The worker process dies in the middle of a model call. A new worker picks
// the run up (the activity times out and is retried there) and the run ends
// with exactly one correct ledger outcome.
import type { ChildProcess } from 'node:child_process';
import { signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { killProcess, startWorkerProcess } from '../helpers/stack';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';

const prisma = testPrisma();
const workers: ChildProcess[] = [];

// Declared before the stack's hooks, so the worker processes are killed before the stack closes.
afterAll(async () => {
  for (const w of workers) await killProcess(w);
});

const stack = useExecutionStack({ MODEL_TIMEOUT: '2s', MODEL_RETRY_INITIAL_INTERVAL: '100ms' }, { worker: false });

async function startWorker() {
  const child = await startWorkerProcess(stack.api.deps.config, { MODEL_TIMEOUT: '2s' });
  workers.push(child);
  return child;
}

it('a run survives its worker being killed mid-call: captured exactly once', async () => {
  const { api, model } = stack;
  const creator = await signedUpClient(api.baseUrl, 'Creator');
  const tool = await createTool(creator.client);
  const { client, user } = await signedUpClient(api.baseUrl);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), user.id, 40);

  const first = await startWorker();
  model.script({ delayMs: 30_000 }); // the first call hangs: the worker dies while waiting for it
  const before = model.requests.length;
  const res = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Phoenix' } });
  expect(res.status).toBe(202);
  await waitFor(async () => model.requests.length > before, { what: 'the model call to begin' });
  await killProcess(first);

  await startWorker();
  const done = await waitFor(
    async () => {
      const body = (await client.get(`/v1/executions/${res.body.id}`)).body;
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    { what: 'the run to finish on the new worker', timeoutMs: 60_000 },
  );
  expect(done).toMatchObject({ status: 'succeeded', output: 'echo: Say hello to Phoenix in .' });
  const entries = await prisma.ledgerEntry.findMany({ where: { executionId: res.body.id } });
  expect(entries.filter((e) => e.type === 'capture')).toHaveLength(1);
  expect(entries.filter((e) => e.type === 'reservation')).toHaveLength(1);
  expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 40 - done.costCredits, reserved: 0 });
}, 120_000);
