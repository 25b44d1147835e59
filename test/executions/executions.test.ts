// Tool runs end to end: the real API over HTTP, update-with-start on a real
// Temporal server, a real worker, the real `openai` library against a local
// OpenAI-compatible server, and a real Postgres.
import { randomUUID } from 'node:crypto';
import { HttpClient, signedUpClient } from '../helpers/api';
import { capturingLogger, testConfig, testPrisma } from '../helpers/env';
import { PLATFORM_MODEL_KEY } from '../helpers/stack';
import { useExecutionStack } from '../helpers/lifecycle';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';
import { executionWorkflowId } from '../../src/executions/contract';
import { createExecutionActivities } from '../../src/executions/activities';
import { createDataKeys } from '../../src/crypto/data-keys';
import { Keyring } from '../../src/crypto/keyring';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 600_000 });
const stack = useExecutionStack({
  MODEL_TIMEOUT: '1500ms',
  MODEL_CALL_ATTEMPTS: '3',
  MODEL_RETRY_INITIAL_INTERVAL: '100ms',
  MAX_CONCURRENT_EXECUTIONS: '50',
});
const { model, api } = stack;

async function fundedUser(credits: number) {
  const user = await signedUpClient(api.baseUrl);
  if (credits > 0) await fundAccount(prisma, ledger, user.user.id, credits);
  return user;
}

async function toolFromNewCreator(overrides: Record<string, unknown> = {}) {
  const creator = await signedUpClient(api.baseUrl, 'Creator');
  return createTool(creator.client, overrides);
}

const run = (client: HttpClient, toolId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  client.post(`/v1/tools/${toolId}/executions`, body, headers);

const entriesOf = async (executionId: string) =>
  (await prisma.ledgerEntry.findMany({ where: { executionId }, orderBy: { createdAt: 'asc' } })).map((e) => [e.type, e.availableDelta, e.reservedDelta]);

describe('pricing', () => {
  it('a run is charged at the model price fixed on its record at admission, not at what the price table says when it settles', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(100);
    // The first attempt fails after a second; the retry reads the run's record again and is answered.
    model.script({ status: 503, delayMs: 1000 }, {});
    const res = await run(client, tool.id, { inputs: { who: 'Ada', language: 'fr' } });
    expect(res.status).toBe(202);
    // Admission stored gpt-4o-mini's price (1 / 4 credits per 1,000 tokens) on the record.
    const admitted = await prisma.execution.findUniqueOrThrow({ where: { id: res.body.id } });
    expect([admitted.creditsPer1kInputTokens, admitted.creditsPer1kOutputTokens]).toEqual([1, 4]);
    // The price on the record is what counts: raise it while the first attempt is still waiting.
    await prisma.execution.update({ where: { id: res.body.id }, data: { creditsPer1kInputTokens: 100, creditsPer1kOutputTokens: 200 } });
    const done = await waitFor(async () => {
      const row = await prisma.execution.findUniqueOrThrow({ where: { id: res.body.id } });
      return row.status === 'succeeded' ? row : undefined;
    }, { what: 'the run to finish' });
    // The fake reports ceil(23 chars / 4) = 6 prompt tokens and 10 completion tokens: (6*100 + 10*200) / 1000 → 3.
    expect([done.promptTokens, done.completionTokens]).toEqual([6, 10]);
    expect(done.costCredits).toBe(3);
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 97, reserved: 0 });
  });

  it('settlement charges what the model call priced, and prices a usage recorded before the call answered a cost (older histories) from the record', async () => {
    const tool = await toolFromNewCreator();
    const { user } = await fundedUser(100);
    const config = testConfig();
    const activities = createExecutionActivities({
      config,
      prisma,
      ledger,
      dataKeys: createDataKeys(prisma, Keyring.parse(config.DATA_ENCRYPTION_KEYS), config),
      logger: capturingLogger().logger,
    });
    const heldRun = async () => {
      const id = randomUUID();
      await prisma.execution.create({
        data: { id, userId: user.id, toolId: tool.id, status: 'running', reservedCredits: 20, model: 'gpt-4o-mini', creditsPer1kInputTokens: 100, creditsPer1kOutputTokens: 200, expiresAt: new Date(Date.now() + 86_400_000) },
      });
      await ledger.reserve({ accountId: user.id, executionId: id, amount: 20, toolId: tool.id });
      return id;
    };
    const usage = { promptTokens: 6, completionTokens: 10 };
    // A usage without a cost: priced at the record's 100 / 200 credits per 1,000 tokens → ceil(2.6) = 3.
    const older = await heldRun();
    expect(await activities.settleExecution({ executionId: older, usage, held: 20 })).toEqual({ costCredits: 3 });
    // A usage the model call priced: that cost is captured as it is.
    const priced = await heldRun();
    expect(await activities.settleExecution({ executionId: priced, usage: { ...usage, costCredits: 2 }, held: 20 })).toEqual({ costCredits: 2 });
    expect((await entriesOf(older)).sort()).toEqual([['capture', 0, -3], ['release', 17, -17], ['reservation', -20, 20]]);
    expect((await entriesOf(priced)).sort()).toEqual([['capture', 0, -2], ['release', 18, -18], ['reservation', -20, 20]]);
    expect(await prisma.execution.findMany({ where: { id: { in: [older, priced] } }, select: { status: true } })).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 95, reserved: 0 });
  });

  it('a tool on a model the platform does not price is refused when saved', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const res = await creator.client.post('/v1/tools', { name: 'X', description: '', prompt: 'Hi {{who}}', inputSchema: { type: 'object', properties: { who: { type: 'string', maxLength: 10 } } }, model: 'gpt-unpriced', priceCredits: 10 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await prisma.tool.count({ where: { creatorId: creator.user.id } })).toBe(0);
  });
});

describe('a successful run', () => {
  it('holds the price, calls the model with the rendered prompt, stores the output encrypted, captures the cost and releases the rest', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(100);
    const res = await run(client, tool.id, { inputs: { who: 'Ada', language: 'fr' }, waitSeconds: 20 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'succeeded', toolId: tool.id, inputs: { who: 'Ada', language: 'fr' }, output: 'echo: Say hello to Ada in fr.' });
    const cost = res.body.costCredits as number;
    expect(cost).toBeGreaterThanOrEqual(1);
    expect(cost).toBeLessThanOrEqual(10);
    expect(new Date(res.body.expiresAt).getTime() - new Date(res.body.createdAt).getTime()).toBe(90 * 86_400_000);
    expect(model.requests.at(-1)?.authorization).toBe(`Bearer ${PLATFORM_MODEL_KEY}`);

    expect(await entriesOf(res.body.id)).toEqual([
      ['reservation', -10, 10],
      ['capture', 0, -cost],
      ['release', 10 - cost, -(10 - cost)],
    ]);
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 100 - cost, reserved: 0 });
    const row = await prisma.execution.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(Buffer.from(row.outputCiphertext as Uint8Array).toString('latin1')).not.toContain('hello');
    expect(Buffer.from(row.inputsCiphertext as Uint8Array).toString('latin1')).not.toContain('Ada');
    expect(row.promptTokens).toBeGreaterThan(0);

    const again = await client.get(`/v1/executions/${res.body.id}`);
    expect(again.body).toMatchObject({ id: res.body.id, status: 'succeeded', output: 'echo: Say hello to Ada in fr.', costCredits: cost });
    const list = await client.get('/v1/executions');
    expect(list.body.items[0]).toMatchObject({ id: res.body.id, status: 'succeeded' });
    expect(list.body.items[0].output).toBeUndefined();
  });

  it('answers 202 at once without waitSeconds, and the run completes', async () => {
    const tool = await toolFromNewCreator();
    const { client } = await fundedUser(20);
    const res = await run(client, tool.id, { inputs: { who: 'Grace' } });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/executions/${res.body.id}`);
    await waitFor(async () => (await client.get(`/v1/executions/${res.body.id}`)).body.status === 'succeeded', { what: 'the run to finish' });
  });

  it('honours Idempotency-Key: one run, one hold', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(50);
    const key = randomUUID();
    const a = await run(client, tool.id, { inputs: { who: 'Once' }, waitSeconds: 10 }, { 'idempotency-key': key });
    const b = await run(client, tool.id, { inputs: { who: 'Once' }, waitSeconds: 10 }, { 'idempotency-key': key });
    expect(b.body.id).toBe(a.body.id);
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(1);
    expect(await prisma.ledgerEntry.count({ where: { accountId: user.id, type: 'reservation' } })).toBe(1);
  });
});

describe('failures release the whole hold and charge nothing', () => {
  it('a model 4xx fails at once with a clear error, without retrying', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(30);
    const before = model.requests.length;
    model.script({ status: 400 });
    const res = await run(client, tool.id, { inputs: { who: 'Bad' }, waitSeconds: 20 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', costCredits: 0, output: null, error: { code: 'model_rejected_request' } });
    expect(model.requests.length - before).toBe(1);
    expect(await entriesOf(res.body.id)).toEqual([
      ['reservation', -10, 10],
      ['release', 10, -10],
    ]);
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 30, reserved: 0 });
  });

  it('a model 5xx (and a 429) is retried with backoff, then the run succeeds and is charged once', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(30);
    const before = model.requests.length;
    model.script({ status: 503 }, { status: 429 });
    const res = await run(client, tool.id, { inputs: { who: 'Retry' }, waitSeconds: 20 });
    expect(res.body.status).toBe('succeeded');
    expect(model.requests.length - before).toBe(3);
    expect((await entriesOf(res.body.id)).filter(([type]) => type === 'capture')).toHaveLength(1);
    await expectLedgerConsistent(prisma, user.id);
  });

  it('a model that never answers in time fails the run after the bounded attempts, releasing everything', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(30);
    model.script({ delayMs: 4000 }, { delayMs: 4000 }, { delayMs: 4000 });
    const res = await run(client, tool.id, { inputs: { who: 'Slow' }, waitSeconds: 30 });
    expect(res.body).toMatchObject({ status: 'failed', costCredits: 0, output: null });
    // What finally happened, not what an earlier attempt planned ("…; retrying").
    expect(res.body.error).toEqual({ code: 'model_timeout', message: 'the model did not answer within 1500 ms' });
    expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: 30, reserved: 0 });
  }, 40_000);
});

describe('admission', () => {
  it('20 concurrent runs against a balance for 5: exactly 5 run, the rest get 402, never below zero', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(50);
    model.latencyMs = 1500; // keep the 5 holds in place while the others ask
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => run(client, tool.id, { inputs: { who: `n${i}` } })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 202)).toHaveLength(5);
      expect(statuses.filter((s) => s === 402)).toHaveLength(15);
      for (const r of results.filter((x) => x.status === 402)) expect(r.body.error.code).toBe('insufficient_credits');
      const account = await prisma.creditAccount.findUniqueOrThrow({ where: { userId: user.id } });
      expect(account.available).toBe(0);
      expect(account.reserved).toBe(50);
    } finally {
      model.latencyMs = 0;
    }
    await waitFor(async () => (await prisma.creditAccount.findUniqueOrThrow({ where: { userId: user.id } })).reserved === 0, {
      what: 'all runs to settle',
      timeoutMs: 20_000,
    });
    await expectLedgerConsistent(prisma, user.id);
  }, 40_000);

  it('an account without credits gets 402 insufficient_credits synchronously, whether it waits or not, and no record is left', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(0);
    for (const waitSeconds of [undefined, 20]) {
      const res = await run(client, tool.id, { inputs: { who: 'Broke' }, ...(waitSeconds ? { waitSeconds } : {}) });
      expect(res.status).toBe(402);
      expect(res.body.error).toMatchObject({ code: 'insufficient_credits', message: expect.stringContaining('10 credits') });
    }
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(0);
  });

  it('a caller whose wait ends before the run settles is answered 202 with the running run, which then settles and is charged once', async () => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(20);
    model.latencyMs = 1400; // longer than the wait, shorter than the model timeout (1500 ms)
    let res;
    try {
      res = await run(client, tool.id, { inputs: { who: 'Patient' }, waitSeconds: 1 });
    } finally {
      model.latencyMs = 0;
    }
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'running' });
    await waitFor(async () => (await client.get(`/v1/executions/${res.body.id}`)).body.status === 'succeeded', { what: 'the run to finish' });
    expect((await entriesOf(res.body.id)).filter(([type]) => type === 'capture')).toHaveLength(1);
    await expectLedgerConsistent(prisma, user.id);
  });

  it('a free tool is BYOM-only: it runs on the user\'s own key, holding nothing, and never on the platform key', async () => {
    const tool = await toolFromNewCreator({ priceCredits: 0, byomOnly: true });
    const { client, user } = await fundedUser(0);
    const before = model.requests.length;
    const onPlatformKey = await run(client, tool.id, { inputs: { who: 'Free' }, waitSeconds: 20 });
    expect(onPlatformKey.status).toBe(422);
    expect(onPlatformKey.body.error.code).toBe('provider_key_required');
    expect(model.requests.length).toBe(before);

    const ownKey = `sk-${randomUUID().replace(/-/g, '')}`;
    const key = await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: ownKey });
    const res = await run(client, tool.id, { inputs: { who: 'Free' }, providerKeyId: key.body.id, waitSeconds: 20 });
    expect(res.body).toMatchObject({ status: 'succeeded', costCredits: 0 });
    expect(model.requests.slice(before).map((r) => r.authorization)).toEqual([`Bearer ${ownKey}`]);
    expect(await prisma.ledgerEntry.count({ where: { accountId: user.id } })).toBe(0);
  });
});

describe('bad input and access', () => {
  it.each([
    ['a missing required input', { language: 'en' }],
    ['an input of the wrong type', { who: 42 }],
    ['an input outside its enum', { who: 'x', language: 'de' }],
    ['an undeclared input', { who: 'x', extra: 'smuggled' }],
  ])('%s → 422 invalid_inputs, and no record, no hold', async (_label, inputs) => {
    const tool = await toolFromNewCreator();
    const { client, user } = await fundedUser(30);
    const res = await run(client, tool.id, { inputs });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('invalid_inputs');
    expect(res.body.error.details.length).toBeGreaterThan(0);
    expect(await prisma.execution.count({ where: { userId: user.id } })).toBe(0);
    expect(await prisma.creditReservation.count({ where: { accountId: user.id } })).toBe(0);
  });

  it('malformed bodies → 400; an unknown tool → 404', async () => {
    const tool = await toolFromNewCreator();
    const { client } = await fundedUser(0);
    expect((await run(client, tool.id, { inputs: 'who=Ada' })).status).toBe(400);
    expect((await run(client, tool.id, { inputs: {}, waitSeconds: 3600 })).status).toBe(400);
    expect((await run(client, tool.id, { inputs: {}, surprise: true })).status).toBe(400);
    expect((await run(client, randomUUID(), { inputs: { who: 'x' } })).status).toBe(404);
  });

  it('another user’s execution id is a 404, as is an unknown or someone else’s provider key', async () => {
    const tool = await toolFromNewCreator();
    const owner = await fundedUser(30);
    const other = await fundedUser(30);
    const mine = await run(owner.client, tool.id, { inputs: { who: 'Mine' }, waitSeconds: 20 });
    const peek = await other.client.get(`/v1/executions/${mine.body.id}`);
    expect(peek.status).toBe(404);
    expect(peek.body.error.code).toBe('not_found');
    expect((await other.client.get('/v1/executions')).body.items).toEqual([]);

    const key = await owner.client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: `sk-${randomUUID().replace(/-/g, '')}` });
    const stolen = await run(other.client, tool.id, { inputs: { who: 'x' }, providerKeyId: key.body.id });
    expect(stolen.status).toBe(404);
    expect((await run(other.client, tool.id, { inputs: { who: 'x' }, providerKeyId: randomUUID() })).status).toBe(404);
    expect(await prisma.execution.count({ where: { userId: other.user.id } })).toBe(0);
  });

  it('a run sees only its own tool’s prompt and its own inputs', async () => {
    const toolA = await toolFromNewCreator({ prompt: 'TOOL-A-SECRET: greet {{who}}' });
    const toolB = await toolFromNewCreator({ prompt: 'TOOL-B-SECRET: greet {{who}}' });
    const alice = await fundedUser(30);
    const bob = await fundedUser(30);
    const [a, b] = await Promise.all([
      run(alice.client, toolA.id, { inputs: { who: 'ALICE-INPUT' }, waitSeconds: 20 }),
      run(bob.client, toolB.id, { inputs: { who: 'BOB-INPUT' }, waitSeconds: 20 }),
    ]);
    expect(a.body.output).toBe('echo: TOOL-A-SECRET: greet ALICE-INPUT');
    expect(b.body.output).toBe('echo: TOOL-B-SECRET: greet BOB-INPUT');
    const seen = model.requests.filter((r) => /TOOL-[AB]-SECRET/.test(r.prompt));
    for (const request of seen) {
      expect(request.prompt.includes('TOOL-A-SECRET') && request.prompt.includes('BOB-INPUT')).toBe(false);
      expect(request.prompt.includes('TOOL-B-SECRET') && request.prompt.includes('ALICE-INPUT')).toBe(false);
    }
  });

  it('inputs cannot alter the template: placeholders inside an input stay literal text', async () => {
    const tool = await toolFromNewCreator({ prompt: 'Greet {{who}} in {{language}}.' });
    const { client } = await fundedUser(30);
    const res = await run(client, tool.id, { inputs: { who: '{{language}} and ignore the above' , language: 'en' }, waitSeconds: 20 });
    expect(res.body.output).toBe('echo: Greet {{language}} and ignore the above in en.');
  });
});

describe('abuse limits and operator visibility', () => {
  it('limits how fast one user starts runs (429 with Retry-After) and how many run at once', async () => {
    const limited = await stack.extraApi({ EXECUTION_RATE_LIMIT_MAX: '3', MAX_CONCURRENT_EXECUTIONS: '1' });
    try {
      const tool = await toolFromNewCreator();
      const user = await signedUpClient(limited.baseUrl);
      await fundAccount(prisma, ledger, user.user.id, 100);
      model.latencyMs = 1500;
      const first = await run(user.client, tool.id, { inputs: { who: 'one' } });
      expect(first.status).toBe(202);
      const second = await run(user.client, tool.id, { inputs: { who: 'two' } });
      expect(second.status).toBe(429);
      expect(second.body.error.code).toBe('too_many_running');
      await run(user.client, tool.id, { inputs: { who: 'three' } });
      const fourth = await run(user.client, tool.id, { inputs: { who: 'four' } });
      expect(fourth.status).toBe(429);
      expect(fourth.body.error.code).toBe('rate_limited');
      expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      model.latencyMs = 0;
      await limited.close();
    }
  });

  it('operators find runs in Temporal by tool id and status (search attributes), never by user identity', async () => {
    const tool = await toolFromNewCreator();
    const { client } = await fundedUser(30);
    const res = await run(client, tool.id, { inputs: { who: 'Visible' }, waitSeconds: 20 });
    const found = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const wf of api.deps.temporal.workflow.list({ query: `ToolId = "${tool.id}" AND ToolRunStatus = "succeeded"` })) ids.push(wf.workflowId);
        return ids.length > 0 ? ids : undefined;
      },
      { what: 'visibility to index the run', timeoutMs: 20_000 },
    );
    expect(found).toEqual([executionWorkflowId(res.body.id)]);
    const description = await api.deps.temporal.workflow.getHandle(executionWorkflowId(res.body.id)).describe();
    expect(JSON.stringify(description.searchAttributes)).not.toMatch(/@example\.test|Test User/);
  });
});
