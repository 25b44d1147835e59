// Retention on the real dev server with a retention of a few seconds: every
// record's own timer deletes the whole record; early deletion; the sweep as
// safety net; and a scan of the whole database for the run's marker strings
// and ids. What outlives a record is its ledger entries only.
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { HttpClient, signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { killProcess, startWorkerProcess } from '../helpers/stack';
import { expectLedgerConsistent, fundAccount, grantRole } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import { createLedger } from '../../src/credits/ledger';
import { createRetentionActivities } from '../../src/retention/activities';
import { retentionQuery } from '../../src/retention/contract';
import { executionWorkflowId } from '../../src/executions/contract';
import { capturingLogger } from '../helpers/env';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 600_000 });
const stack = useExecutionStack({ EXECUTION_RETENTION: '4s' });
const { model, api } = stack;

async function runWithMarker(client: HttpClient, toolId: string) {
  const marker = `MARKER-${randomUUID()}`;
  const res = await client.post(`/v1/tools/${toolId}/executions`, { inputs: { who: marker }, waitSeconds: 20 });
  expect(res.body.status).toBe('succeeded');
  return { executionId: res.body.id as string, marker };
}

/** Every row of every table, as text: where could the marker still be? */
async function tablesContaining(needle: string): Promise<string[]> {
  const pg = new PgClient({ connectionString: api.deps.config.DATABASE_URL });
  await pg.connect();
  try {
    const hits: string[] = [];
    const tables = (await pg.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows;
    for (const { tablename } of tables) {
      const { rowCount } = await pg.query(`SELECT 1 FROM "${tablename}" t WHERE t::text LIKE $1 LIMIT 1`, [`%${needle}%`]);
      if (rowCount) hits.push(tablename);
    }
    return hits;
  } finally {
    await pg.end();
  }
}

const recordDeleted = (executionId: string, timeoutMs = 20_000) =>
  waitFor(async () => ((await prisma.execution.count({ where: { id: executionId } })) === 0 ? true : undefined), {
    what: 'the record to be deleted',
    timeoutMs,
  });

/** Tables (other than the ledger's) that still hold the execution id anywhere in a row. */
async function tablesNaming(executionId: string): Promise<string[]> {
  return (await tablesContaining(executionId)).filter((t) => !['ledger_entries', 'credit_reservations'].includes(t));
}

describe('the per-record timer', () => {
  it('deletes the whole record at expiry; the API then answers 410 execution_expired; the ledger stays', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { client, user } = await signedUpClient(api.baseUrl);
    await fundAccount(prisma, ledger, user.id, 50);
    const { executionId, marker } = await runWithMarker(client, tool.id);

    // The record's timer is kept by the run's own workflow once the run has settled.
    const handle = api.deps.temporal.workflow.getHandle(executionWorkflowId(executionId));
    const state = await handle.query(retentionQuery);
    expect(state).toMatchObject({ executionId, purgedAt: null });
    expect(new Date(state.expiresAt).getTime()).toBe((await prisma.execution.findUniqueOrThrow({ where: { id: executionId } })).expiresAt.getTime());
    expect((await client.get(`/v1/executions/${executionId}`)).body.output).toContain(marker);

    const { expiresAt } = await prisma.execution.findUniqueOrThrow({ where: { id: executionId } });
    await recordDeleted(executionId);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 50);
    const gone = await client.get(`/v1/executions/${executionId}`);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('execution_expired');
    expect((await client.get('/v1/executions')).body.items).toEqual([]);
    // Someone else asking about it learns nothing: 404, as for an id that never was.
    const stranger = await signedUpClient(api.baseUrl);
    expect((await stranger.client.get(`/v1/executions/${executionId}`)).status).toBe(404);
    expect(await prisma.ledgerEntry.count({ where: { executionId } })).toBe(3);
    expect(await tablesContaining(marker)).toEqual([]);
    expect(await tablesNaming(executionId)).toEqual([]);
    expect(await handle.result()).toMatchObject({ status: 'succeeded' });
    expect((await handle.query(retentionQuery)).purgedAt).not.toBeNull();
  }, 40_000);

  it("operators find the record's timer by execution id and expiry in Temporal: the run's own workflow, running until it deletes the record", async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { client, user } = await signedUpClient(api.baseUrl);
    await fundAccount(prisma, ledger, user.id, 50);
    const { executionId } = await runWithMarker(client, tool.id);
    const ids = await waitFor(
      async () => {
        const found: string[] = [];
        for await (const wf of api.deps.temporal.workflow.list({ query: `ExecutionId = "${executionId}" AND ExpiresAt > "2000-01-01T00:00:00Z" AND ExecutionStatus = "Running"` })) {
          found.push(wf.workflowId);
        }
        return found.length ? found : undefined;
      },
      { what: 'the timer to be visible', timeoutMs: 15_000 },
    );
    expect(ids).toEqual([executionWorkflowId(executionId)]);
  });
});

describe('expiry during a run', () => {
  // The timer starts once the run has settled, so this needs a retention shorter than a run (4 s here
  // against a 90-day default and model calls bounded by MODEL_TIMEOUT): the record is deleted as soon
  // as the run settles, and the ledger still balances.
  it('a record whose expiry passes while its run still waits for the model is deleted as soon as the run settles', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { client, user } = await signedUpClient(api.baseUrl);
    await fundAccount(prisma, ledger, user.id, 50);
    model.script({ delayMs: 7000 }); // longer than EXECUTION_RETENTION (4 s)
    const started = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'slow' } });
    const executionId = started.body.id as string;
    const result = await api.deps.temporal.workflow.getHandle(executionWorkflowId(executionId)).result();
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(await prisma.execution.count({ where: { id: executionId } })).toBe(0);
    const entries = await prisma.ledgerEntry.findMany({ where: { executionId } });
    expect(entries.map((e) => e.type)).toEqual(expect.arrayContaining(['reservation', 'capture'])); // the run answered: it is paid for
    expect((await expectLedgerConsistent(prisma, user.id)).reserved).toBe(0);
    expect((await client.get(`/v1/executions/${executionId}`)).status).toBe(410);
  }, 40_000);
});

describe('early deletion', () => {
  it('DELETE /v1/executions/:id deletes the record at once and ends the timer; others get 404', async () => {
    const longLived = await stack.extraApi({ EXECUTION_RETENTION: '90d' });
    try {
      const creator = await signedUpClient(longLived.baseUrl, 'Creator');
      const tool = await createTool(creator.client);
      const { client, user } = await signedUpClient(longLived.baseUrl);
      await fundAccount(prisma, ledger, user.id, 50);
      const { executionId, marker } = await runWithMarker(client, tool.id);
      const other = await signedUpClient(longLived.baseUrl);
      expect((await other.client.delete(`/v1/executions/${executionId}`)).status).toBe(404);

      expect((await client.delete(`/v1/executions/${executionId}`)).status).toBe(204);
      expect(await prisma.execution.count({ where: { id: executionId } })).toBe(0);
      expect(await tablesContaining(marker)).toEqual([]);
      expect(await tablesNaming(executionId)).toEqual([]);
      const run = longLived.deps.temporal.workflow.getHandle(executionWorkflowId(executionId));
      expect(await run.result()).toMatchObject({ status: 'succeeded' }); // the timer ended: the workflow is done
      expect((await run.query(retentionQuery)).purgedAt).not.toBeNull();
      // Already gone: the same answer as a read (the ledger names it, so 410).
      const again = await client.delete(`/v1/executions/${executionId}`);
      expect(again.status).toBe(410);
      expect(again.body.error.code).toBe('execution_expired');
      expect((await client.get(`/v1/executions/${executionId}`)).status).toBe(410);
    } finally {
      await longLived.close();
    }
  });

  it('a free BYOM run leaves nothing that names it: after deletion it is 404, as if it never was', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client, { priceCredits: 0, byomOnly: true });
    const { client } = await signedUpClient(api.baseUrl);
    const key = await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: `sk-${randomUUID().replace(/-/g, '')}` });
    const res0 = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'free' }, providerKeyId: key.body.id, waitSeconds: 20 });
    expect(res0.body.status).toBe('succeeded');
    const executionId = res0.body.id as string;
    expect(await prisma.ledgerEntry.count({ where: { executionId } })).toBe(0);
    expect((await client.delete(`/v1/executions/${executionId}`)).status).toBe(204);
    const res = await client.get(`/v1/executions/${executionId}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(await tablesContaining(executionId)).toEqual([]);
  });

  it('a run that has not finished cannot be deleted yet (409)', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { client, user } = await signedUpClient(api.baseUrl);
    await fundAccount(prisma, ledger, user.id, 50);
    model.script({ delayMs: 2000 });
    const started = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'slow' } });
    const res = await client.delete(`/v1/executions/${started.body.id}`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('execution_running');
  });
});

describe('the safety net', () => {
  it('the sweep deletes records whose timers never started, in batches, and reports how many it found', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { user } = await signedUpClient(api.baseUrl);
    const marker = `SWEEP-MARKER-${randomUUID()}`;
    const ids = Array.from({ length: 2500 }, () => randomUUID());
    await prisma.execution.createMany({
      data: ids.map((id) => ({
        id,
        userId: user.id,
        toolId: tool.id,
        model: 'gpt-4o-mini',
        status: 'succeeded' as const,
        reservedCredits: 0,
        inputsCiphertext: Buffer.from(`${marker} (stand-in ciphertext)`),
        outputCiphertext: Buffer.from(marker),
        createdAt: new Date(Date.now() - 91 * 86_400_000),
        expiresAt: new Date(Date.now() - 86_400_000),
      })),
    });
    const { logger } = capturingLogger();
    const found = await createRetentionActivities({ prisma, logger }).sweepExpiredExecutions();
    expect(found).toBeGreaterThanOrEqual(2500);
    expect(await prisma.execution.count({ where: { id: { in: ids } } })).toBe(0);
    expect(await tablesContaining(marker)).toEqual([]);
    const sweep = await prisma.retentionSweep.findFirstOrThrow({ orderBy: { ranAt: 'desc' } });
    expect(sweep.found).toBe(found);

    const operator = await signedUpClient(api.baseUrl, 'Operator');
    await grantRole(prisma, operator.email, 'admin');
    const metrics = (await operator.client.get('/metrics')).text;
    expect(metrics).toMatch(new RegExp(`sotally_retention_sweep_last_found ${found}`));
    // A record not yet expired is left alone by the sweep.
    const live = randomUUID();
    await prisma.execution.create({
      data: { id: live, userId: user.id, toolId: tool.id, model: 'gpt-4o-mini', status: 'succeeded', reservedCredits: 0, expiresAt: new Date(Date.now() + 86_400_000) },
    });
    await createRetentionActivities({ prisma, logger }).sweepExpiredExecutions();
    expect(await prisma.execution.count({ where: { id: live } })).toBe(1);
  });
});

describe('restarts', () => {
  it('timers pending while the worker is down still delete once a worker is back', async () => {
    await stack.worker?.stop(); // from here on, only the worker processes below
    // Long enough for the worker process to start and finish the run before the timer is due.
    const slower = await stack.extraApi({ EXECUTION_RETENTION: '20s' });
    let child = await startWorkerProcess(api.deps.config);
    try {
      const creator = await signedUpClient(slower.baseUrl, 'Creator');
      const tool = await createTool(creator.client);
      const { client, user } = await signedUpClient(slower.baseUrl);
      await fundAccount(prisma, ledger, user.id, 50);
      const { executionId } = await runWithMarker(client, tool.id);
      await killProcess(child); // the timer is pending, and no worker is left
      const { expiresAt } = await prisma.execution.findUniqueOrThrow({ where: { id: executionId } });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 500));
      expect(await prisma.execution.count({ where: { id: executionId } })).toBe(1); // nothing deleted it meanwhile
      child = await startWorkerProcess(api.deps.config);
      await recordDeleted(executionId, 60_000);
    } finally {
      await killProcess(child);
      await slower.close();
    }
  }, 120_000);
});
