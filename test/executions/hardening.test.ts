// Abuse of tool runs, replayed as the outside review sent it: free runs on the
// platform's model key, prompt amplification, racing the concurrency cap,
// reusing an Idempotency-Key for another request, refused runs that left data
// and timers behind, and error messages that did not say what happened.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { signedUpClient, type HttpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { createTool, toolDefinition } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';
import { retentionWorkflowId } from '../../src/retention/contract';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 600_000 });
const stack = useExecutionStack({ MODEL_CALL_ATTEMPTS: '3', MODEL_RETRY_INITIAL_INTERVAL: '100ms', MAX_CONCURRENT_EXECUTIONS: '50' });
const { model, api } = stack;

async function fundedUser(credits: number, baseUrl = api.baseUrl) {
  const user = await signedUpClient(baseUrl);
  if (credits > 0) await fundAccount(prisma, ledger, user.user.id, credits);
  return user;
}

const run = (client: HttpClient, toolId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  client.post(`/v1/tools/${toolId}/executions`, body, headers);

describe('the platform key is never spent for free', () => {
  it('a tool priced below its worst-case model cost is refused at creation and at update (422), unless BYOM-only', async () => {
    const creator = await signedUpClient(api.baseUrl);
    for (const price of [0, 1, 4]) {
      const res = await creator.client.post('/v1/tools', toolDefinition({ priceCredits: price }));
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'price_below_model_cost', details: { minimumPriceCredits: 5 } });
    }
    // An unbounded input makes the worst case the whole prompt bound.
    const unbounded = await creator.client.post(
      '/v1/tools',
      toolDefinition({ prompt: 'Reply to {{text}}', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, priceCredits: 10 }),
    );
    expect(unbounded.status).toBe(422);
    expect(unbounded.body.error.details.minimumPriceCredits).toBeGreaterThan(100);
    expect(await prisma.tool.count({ where: { creatorId: creator.user.id } })).toBe(0);

    const tool = await createTool(creator.client, { priceCredits: 5 });
    const cheaper = await creator.client.patch(`/v1/tools/${tool.id}`, { priceCredits: 0 });
    expect(cheaper.status).toBe(422);
    const costlier = await creator.client.patch(`/v1/tools/${tool.id}`, { model: 'gpt-4o' });
    expect(costlier.body.error.code).toBe('price_below_model_cost');
    expect(await prisma.tool.findUniqueOrThrow({ where: { id: tool.id } })).toMatchObject({ priceCredits: 5, model: 'gpt-4o-mini' });

    const byomOnly = await creator.client.post('/v1/tools', toolDefinition({ priceCredits: 0, byomOnly: true }));
    expect(byomOnly.status).toBe(201);
    expect(byomOnly.body.tool).toMatchObject({ priceCredits: 0, byomOnly: true });
  });

  it('a run of an under-priced tool (saved before the rule) holds its worst-case cost; without credits the model is never called', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client, { priceCredits: 5 });
    await prisma.tool.update({ where: { id: tool.id }, data: { priceCredits: 0 } }); // as the attack's free tool was
    const broke = await fundedUser(0);
    const before = model.requests.length;
    for (let i = 0; i < 3; i += 1) {
      const res = await run(broke.client, tool.id, { inputs: { who: `free-${i}` }, waitSeconds: 5 });
      expect(res.status).toBe(402);
      expect(res.body.error.code).toBe('insufficient_credits');
    }
    expect(model.requests.length).toBe(before);

    // With credits, the hold covers the prompt's estimated tokens and the maximum output.
    const paying = await fundedUser(100);
    const res = await run(paying.client, tool.id, { inputs: { who: 'x'.repeat(100) }, waitSeconds: 20 });
    expect(res.body.status).toBe('succeeded');
    const hold = await prisma.creditReservation.findUniqueOrThrow({ where: { executionId: res.body.id } });
    expect(hold.amount).toBe(5); // ⌈(≈120 bytes × 1 + 1024 × 4) / 1000⌉
    await expectLedgerConsistent(prisma, paying.user.id);
  });
});

describe('prompt amplification', () => {
  const amplifier = { prompt: '{{text}}'.repeat(2_500), inputSchema: { type: 'object', properties: { text: { type: 'string' } } } };

  it('a template repeating {{text}} with a 30 KB input is refused at admission (422): no record, no hold, no model call', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client, { ...amplifier, priceCredits: 1_000 });
    const { client, user } = await fundedUser(5_000);
    const before = model.requests.length;
    const res = await run(client, tool.id, { inputs: { text: 'x'.repeat(30_000) }, waitSeconds: 5 });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'prompt_too_large', details: { chars: 75_000_000, maxChars: 50_000 } });
    expect(model.requests.length).toBe(before);
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.creditReservation.count({ where: { accountId: user.id } })).toBe(0);
    // The bound holds for runs on the user's own key too.
    const key = await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: `sk-${randomUUID().replace(/-/g, '')}` });
    const byom = await run(client, tool.id, { inputs: { text: 'x'.repeat(30_000) }, providerKeyId: key.body.id });
    expect(byom.body.error.code).toBe('prompt_too_large');
  });

  it('a large prompt within the bound holds its estimated input tokens', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client, { ...amplifier, prompt: 'Summarise: {{text}}', priceCredits: 200 });
    await prisma.tool.update({ where: { id: tool.id }, data: { priceCredits: 1 } });
    const { client } = await fundedUser(1_000);
    const res = await run(client, tool.id, { inputs: { text: 'é'.repeat(20_000) } });
    expect(res.status).toBe(202);
    const hold = await prisma.creditReservation.findUniqueOrThrow({ where: { executionId: res.body.id } });
    expect(hold.amount).toBe(Math.ceil((40_011 * 1 + 1024 * 4) / 1000)); // 2 bytes per 'é', 11 of template, 1 credit / 1k in, 4 / 1k out
  });
});

describe('admission is atomic', () => {
  it('50 simultaneous starts never put more than the cap of 5 in flight', async () => {
    const capped = await stack.extraApi({ MAX_CONCURRENT_EXECUTIONS: '5' });
    try {
      const creator = await signedUpClient(capped.baseUrl);
      const tool = await createTool(creator.client);
      const { client, user } = await fundedUser(10_000, capped.baseUrl);
      model.latencyMs = 3000;
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => run(client, tool.id, { inputs: { who: `racer-${i}` } })));
      const admitted = results.filter((r) => r.status === 202);
      expect(admitted.length).toBeGreaterThanOrEqual(1);
      expect(admitted.length).toBeLessThanOrEqual(5);
      for (const r of results.filter((x) => x.status !== 202)) expect(r.body.error.code).toBe('too_many_running');
      expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(admitted.length);
      expect(await prisma.creditReservation.count({ where: { accountId: user.id } })).toBe(admitted.length);
    } finally {
      model.latencyMs = 0;
      await capped.close();
    }
  }, 40_000);
});

describe('Idempotency-Key', () => {
  it('the same key with a different body → 409 idempotency_key_reused and one run; the same body → the same run', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client);
    const { client, user } = await fundedUser(100);
    const key = { 'idempotency-key': `run-${randomUUID()}` };
    const first = await run(client, tool.id, { inputs: { who: 'Ada' } }, key);
    expect(first.status).toBe(202);
    const other = await run(client, tool.id, { inputs: { who: 'Eve' } }, key);
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // Key order in the body does not matter; waitSeconds only changes how long the answer waits.
    const same = await run(client, tool.id, { waitSeconds: 10, inputs: { who: 'Ada' } }, key);
    expect(same.body.id).toBe(first.body.id);
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(1);
  });
});

describe('a refused run leaves nothing', () => {
  it('no credits → 402, and no record, no inputs and no retention timer remain', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client);
    const { client, user } = await fundedUser(0);
    const res = await run(client, tool.id, { inputs: { who: 'REFUSED-INPUT-MARKER' } });
    expect(res.status).toBe(402);
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(0);
    const rows = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM executions WHERE tool_id = ${tool.id}::uuid`;
    expect(Number(rows[0]?.n)).toBe(0);

    // The run's workflow (found by its ToolId search attribute) ended; it started no timer.
    const temporal = api.deps.temporal;
    const runs = await waitFor(
      async () => {
        const found = [];
        for await (const wf of temporal.workflow.list({ query: `ToolId = '${tool.id}'` })) found.push(wf);
        return found.length > 0 ? found : undefined;
      },
      { what: 'the refused run to be visible', timeoutMs: 20_000 },
    );
    for (const wf of runs) {
      const executionId = wf.workflowId.replace('tool-execution-', '');
      await expect(temporal.workflow.getHandle(retentionWorkflowId(executionId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  }, 40_000);
});

describe('the stored error says what finally happened', () => {
  it('three 5xx answers: model_unavailable "the model provider answered 500", without "retrying"', async () => {
    const creator = await signedUpClient(api.baseUrl);
    const tool = await createTool(creator.client);
    const { client, user } = await fundedUser(30);
    model.script({ status: 500 }, { status: 502 }, { status: 500 });
    const res = await run(client, tool.id, { inputs: { who: 'Down' }, waitSeconds: 20 });
    expect(res.body).toMatchObject({ status: 'failed', costCredits: 0, error: { code: 'model_unavailable', message: 'the model provider answered 500' } });
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 30, reserved: 0 });
  });
});
