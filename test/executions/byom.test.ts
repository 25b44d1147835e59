// BYOM keys: stored encrypted, shown masked, used only by the model call, and
// never visible in clear in logs, the database, Temporal histories, API
// responses or errors — checked by scanning all four after real runs.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { temporal as proto } from '@temporalio/proto';
import type { Payload } from '@temporalio/common';
import { HttpClient, signedUpClient, type HttpResult } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useExecutionStack } from '../helpers/lifecycle';
import { createTool } from '../helpers/tools';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { waitFor } from '../helpers/wait';
import { PLATFORM_MODEL_KEY } from '../helpers/stack';
import { createLedger } from '../../src/credits/ledger';
import { EncryptionCodec } from '../../src/temporal/codec';
import { executionWorkflowId } from '../../src/executions/contract';

const prisma = testPrisma();
const stack = useExecutionStack({ MODEL_RETRY_INITIAL_INTERVAL: '100ms' });
const { model, api, worker } = stack;
const responses: string[] = [];

/** An HTTP client that keeps every response body for the leak scan. */
class RecordingClient extends HttpClient {
  override async request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult<T>> {
    const res = await super.request<T>(method, path, body, headers);
    responses.push(`${res.status} ${[...res.headers].join(' ')} ${res.text}`);
    return res;
  }
}

async function user() {
  const signed = await signedUpClient(api.baseUrl);
  const client = new RecordingClient(api.baseUrl);
  client.cookies = signed.client.cookies;
  return { ...signed, client };
}

const newKey = () => `sk-proj-${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '').slice(0, 8)}`;

describe('a key deleted while runs start with it', () => {
  it('never answers 500: each start is admitted or finds the key gone (404), and the deletion succeeds', async () => {
    const { client } = await user();
    const tool = await createTool(client);
    const statuses: number[] = [];
    for (let round = 0; round < 8; round++) {
      const key = (await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: newKey() })).body.id as string;
      const starts = Array.from({ length: 3 }, () => client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Ada' }, providerKeyId: key }));
      const deletion = client.delete(`/v1/me/provider-keys/${key}`);
      const answers = await Promise.all([...starts, deletion]);
      statuses.push(...answers.map((a) => a.status));
      expect((answers.at(-1) as HttpResult).status).toBe(204);
    }
    expect(statuses.filter((s) => ![202, 204, 404].includes(s))).toEqual([]);
  });
});

describe('provider keys', () => {
  it('stores a key encrypted, shows it only masked, and deletes it for good', async () => {
    const { client, user: me } = await user();
    const apiKey = newKey();
    const created = await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey, label: 'my key' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ provider: 'openai', label: 'my key', masked: `sk-…${apiKey.slice(-4)}` });
    const row = await prisma.providerKey.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(Buffer.from(row.keyCiphertext).toString('latin1')).not.toContain(apiKey);
    const list = await client.get('/v1/me/provider-keys');
    expect(list.body.items).toEqual([expect.objectContaining({ id: created.body.id, masked: `sk-…${apiKey.slice(-4)}` })]);
    expect(list.text).not.toContain(apiKey);

    expect((await client.delete(`/v1/me/provider-keys/${created.body.id}`)).status).toBe(204);
    expect(await prisma.providerKey.count({ where: { id: created.body.id } })).toBe(0);
    expect((await client.delete(`/v1/me/provider-keys/${created.body.id}`)).status).toBe(404);
    const events = await prisma.securityEvent.findMany({ where: { userId: me.id }, orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['provider_key_added', 'provider_key_deleted']);
  });

  it.each([
    ['a key of the wrong shape', { provider: 'openai', apiKey: 'not-a-key' }],
    ['an unknown provider', { provider: 'acme', apiKey: newKey() }],
    ['a missing key', { provider: 'openai' }],
    ['an unknown field', { provider: 'openai', apiKey: newKey(), scope: 'all' }],
  ])('%s → 400 and nothing stored', async (_label, body) => {
    const { client, user: me } = await user();
    const res = await client.post('/v1/me/provider-keys', body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await prisma.providerKey.count({ where: { userId: me.id } })).toBe(0);
  });

  it('another user can neither list nor delete my key', async () => {
    const owner = await user();
    const other = await user();
    const { id } = (await owner.client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: newKey() })).body;
    expect((await other.client.get('/v1/me/provider-keys')).body.items).toEqual([]);
    expect((await other.client.delete(`/v1/me/provider-keys/${id}`)).status).toBe(404);
    expect(await prisma.providerKey.count({ where: { id } })).toBe(1);
  });
});

describe('BYOM runs', () => {
  it('use the user’s key, cost no credits, and the key in clear is found nowhere: logs, database, histories, responses', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client, { priceCredits: 25 });
    const { client } = await user();
    const apiKey = newKey();
    const { id: keyId } = (await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey })).body;

    const ok = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Byom' }, providerKeyId: keyId, waitSeconds: 20 });
    expect(ok.body).toMatchObject({ status: 'succeeded', costCredits: 0, output: 'echo: Say hello to Byom in .' });
    expect(model.requests.at(-1)?.authorization).toBe(`Bearer ${apiKey}`);

    model.script({ status: 401, body: { error: { message: `Incorrect API key provided: ${apiKey}`, type: 'invalid_request_error' } } });
    const refused = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Byom' }, providerKeyId: keyId, waitSeconds: 20 });
    expect(refused.body).toMatchObject({ status: 'failed', costCredits: 0, error: { code: 'invalid_provider_key' } });

    const needles = [apiKey, Buffer.from(apiKey).toString('base64'), apiKey.slice(8)];
    const leaks = (where: string, haystack: string) => needles.filter((n) => haystack.includes(n)).map((n) => `${where}: ${n.slice(0, 12)}…`);

    // 1. logs of the API and the worker
    const found = [...leaks('api log', api.logLines.join('\n')), ...leaks('worker log', worker.logLines.join('\n'))];

    // 2. every row of every table, as text
    const pg = new Client({ connectionString: api.deps.config.DATABASE_URL });
    await pg.connect();
    const tables = (await pg.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows;
    for (const { tablename } of tables) {
      const rows = await pg.query<{ row: string }>(`SELECT t::text AS row FROM "${tablename}" t`);
      found.push(...leaks(`table ${tablename}`, rows.rows.map((r) => r.row).join('\n')));
    }
    await pg.end();

    // 3. Temporal histories, raw and after decoding with our codec
    const codec = new EncryptionCodec(api.deps.keyring);
    for (const execution of [ok.body.id, refused.body.id]) {
      const response = await api.deps.temporal.workflowService.getWorkflowExecutionHistory({
        namespace: api.deps.config.TEMPORAL_NAMESPACE,
        execution: { workflowId: executionWorkflowId(execution) },
      });
      const raw = Buffer.from(proto.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse.encode(response).finish());
      found.push(...leaks('history (raw)', raw.toString('latin1')));
      const payloads: Payload[] = [];
      JSON.stringify(response, (_key, value: unknown) => {
        if (value && typeof value === 'object' && 'data' in value && 'metadata' in value) payloads.push(value as Payload);
        return value;
      });
      const decoded = await codec.decode(payloads);
      found.push(...leaks('history (decoded)', decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n')));
      expect(payloads.length).toBeGreaterThan(0);
    }

    // 4. every API response body and header seen in this file
    found.push(...leaks('API responses', responses.join('\n')));
    expect(found).toEqual([]);
    // The scan itself works: the fake provider did receive the key.
    expect(leaks('fake provider', model.requests.map((r) => r.authorization).join('\n')).length).toBeGreaterThan(0);
  });

  it('a key deleted while its run retries fails the run (provider_key_deleted): never the platform key, nothing charged', async () => {
    // A platform fee makes "nothing charged" observable: the run holds 3 credits.
    const feeApi = await stack.extraApi({ BYOM_PLATFORM_FEE: '3' });
    try {
      const creator = await signedUpClient(feeApi.baseUrl, 'Creator');
      const tool = await createTool(creator.client);
      const signed = await signedUpClient(feeApi.baseUrl);
      await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 600_000 }), signed.user.id, 50);
      const { id: keyId } = (await signed.client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: newKey() })).body;
      const requestsBefore = model.requests.length;
      // The user's key answers 503 (retryable); the key is deleted before the retry.
      model.script({ status: 503, delayMs: 400 });
      const started = await signed.client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'Ada' }, providerKeyId: keyId });
      expect(started.status).toBe(202);
      await waitFor(async () => model.requests.length > requestsBefore, { what: 'the first model call' });
      expect((await signed.client.delete(`/v1/me/provider-keys/${keyId}`)).status).toBe(204);

      const run = await waitFor(async () => {
        const row = await prisma.execution.findUniqueOrThrow({ where: { id: started.body.id } });
        return row.status === 'failed' || row.status === 'succeeded' ? row : undefined;
      }, { what: 'the run to end', timeoutMs: 20_000 });
      expect([run.status, run.errorCode, run.costCredits, run.byom]).toEqual(['failed', 'provider_key_deleted', 0, true]);
      expect(model.requests.slice(requestsBefore).map((r) => r.authorization)).not.toContain(`Bearer ${PLATFORM_MODEL_KEY}`);
      expect(await expectLedgerConsistent(prisma, signed.user.id)).toEqual({ available: 50, reserved: 0 });
      const entries = await prisma.ledgerEntry.findMany({ where: { executionId: started.body.id } });
      expect(entries.map((e) => e.type).sort()).toEqual(['release', 'reservation']);
    } finally {
      await feeApi.close();
    }
  });

  it('a deleted key cannot be used, and a run never falls back to the platform key', async () => {
    const creator = await signedUpClient(api.baseUrl, 'Creator');
    const tool = await createTool(creator.client);
    const { client } = await user();
    const { id } = (await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: newKey() })).body;
    await client.delete(`/v1/me/provider-keys/${id}`);
    const res = await client.post(`/v1/tools/${tool.id}/executions`, { inputs: { who: 'x' }, providerKeyId: id });
    expect(res.status).toBe(404);
  });
});
