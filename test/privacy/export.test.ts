// The data export (access and portability), through the real API and a real worker:
// the file validates against its published JSON Schema and holds a marker from every
// category of the register the user has data in (decrypted), never a BYOM key, a
// token hash or a password hash; it is stored only as ciphertext; only its owner gets
// it (another user: 404); after its link expires it answers 410 and its chunks are gone.
// Every bad request is a clear 4xx that changes nothing.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { MockActivityEnvironment } from '@temporalio/testing';
import { HttpClient, reauth, signedUpClient, startTestApi, type TestApi } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { fundAccount, grantRole } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { startTestWorker, type TestWorker } from '../helpers/worker';
import { waitFor } from '../helpers/wait';
import { DataKeys } from '../../src/crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../../src/crypto/columns';
import { createLedger } from '../../src/credits/ledger';
import { sha256 } from '../../src/accounts/credentials';
import { exportPlan } from '../../src/data-export/plan';
import { renderExportJsonSchema } from '../../src/data-export/json-schema';
import { chunkWriter, readChunks } from '../../src/data-export/store';
import { createExportActivities } from '../../src/data-export/activities';
import { capturingLogger } from '../helpers/env';

const LINK_TTL_MS = 15_000;
const SCHEMA_FILE = path.join(__dirname, '..', '..', 'docs', 'privacy-export.schema.json');
const prisma = testPrisma();
let api: TestApi;
let worker: TestWorker;

beforeAll(async () => {
  api = await startTestApi({ TEMPORAL_TASK_QUEUE: `exports-${randomUUID()}`, EXPORT_LINK_TTL: `${LINK_TTL_MS / 1000}s` });
  worker = await startTestWorker(api.deps.config);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await closeTestPrisma();
});

const dataKeys = () => new DataKeys(prisma, api.deps.keyring);
const marker = (what: string) => `mk${what}${randomBytes(6).toString('hex')}`;

function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
}

/** A user with data in every category the register exports, each carrying its own marker. */
async function userWithEverything() {
  const m = {
    name: marker('Name'),
    email: `${marker('email')}@example.test`,
    avatar: marker('avatar'),
    prompt: marker('prompt'),
    toolName: marker('tool'),
    inputs: marker('inputs'),
    output: marker('output'),
    expiredInputs: marker('expired'),
    keyLabel: marker('keylabel'),
    apiKey: `sk-${marker('secret')}${randomBytes(12).toString('hex')}`,
    tokenName: marker('token'),
    auditReason: marker('audit'),
  };
  const client = new HttpClient(api.baseUrl);
  const signup = await client.post('/v1/auth/signup', { name: m.name, email: m.email, password: 'correct horse battery staple', avatarUrl: `https://example.test/${m.avatar}.png`, marketingConsent: true });
  expect(signup.status).toBe(201);
  expect((await client.put('/v1/me/consents', { marketing: false })).status).toBe(200); // a withdrawal: the consent history has two entries
  const userId: string = signup.body.user.id;
  const tool = await createTool(client, { name: m.toolName, prompt: `Tell ${m.prompt} about {{who}}.` });
  const key = await client.post('/v1/me/provider-keys', { provider: 'openai', apiKey: m.apiKey, label: m.keyLabel });
  expect(key.status).toBe(201);
  const token = await client.post('/v1/auth/tokens', { name: m.tokenName });
  expect(token.status).toBe(201);
  await fundAccount(prisma, createLedger(prisma, { reservationTtlMs: 60_000 }), userId, 50);
  const keys = dataKeys();
  const run = async (inputs: string, output: string, expiresAt: Date) => {
    const id = randomUUID();
    await prisma.execution.create({
      data: {
        id,
        userId,
        toolId: tool.id,
        status: 'succeeded',
        reservedCredits: 10,
        costCredits: 3,
        model: 'gpt-4o-mini',
        inputsCiphertext: await keys.seal(ENCRYPTED_COLUMNS.executionInputs, id, userId, JSON.stringify({ who: inputs })),
        outputCiphertext: await keys.seal(ENCRYPTED_COLUMNS.executionOutput, id, userId, `Hello ${output}`),
        expiresAt,
      },
    });
    return id;
  };
  const liveRun = await run(m.inputs, m.output, new Date(Date.now() + 86_400_000));
  await run(m.expiredInputs, m.expiredInputs, new Date(Date.now() - 1000)); // past retention: due for deletion, not exported
  await prisma.operatorAction.create({ data: { userId, operator: 'staff:someone', action: 'clear_fraud_review', reason: m.auditReason, detail: null } });
  return { client, userId, toolId: tool.id, liveRun, token: token.body.token as string, m };
}

async function download(client: HttpClient, requestId: string) {
  return client.get(`/v1/privacy/exports/${requestId}/download`);
}

describe('the export of a user', () => {
  it('validates against the published JSON Schema, holds a marker from every category, decrypted, and never a key, hash or expired run; stored only as ciphertext; 404 to others; 410 and gone after expiry', async () => {
    const user = await userWithEverything();
    await reauth(user.client);
    const started = await user.client.post('/v1/privacy/exports');
    expect(started.status).toBe(202);
    const { requestId } = started.body as { requestId: string };
    // Asking again while it is being made joins it.
    const again = await user.client.post('/v1/privacy/exports');
    expect(again.body.requestId === requestId || (await prisma.privacyRequest.findUnique({ where: { id: requestId } }))?.status === 'completed').toBe(true);

    const view = await waitFor(
      async () => {
        const res = await user.client.get(`/v1/privacy/requests/${requestId}`);
        return res.body.downloadUrl ? res.body : undefined;
      },
      { timeoutMs: 60_000, what: 'the export to be ready' },
    );
    expect(view).toMatchObject({ type: 'export', status: 'completed', channel: 'api', downloadUrl: `/v1/privacy/exports/${requestId}/download` });
    const res = await user.client.get(view.downloadUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="sotally-export-${requestId}.json"`);
    const file = JSON.parse(res.text);

    const validate = validator();
    const valid = validate(file);
    expect(valid ? [] : validate.errors).toEqual([]);
    expect(file).toMatchObject({ formatVersion: 1, requestId, userId: user.userId });

    // Every table the register exports is there; every one the user has rows in is non-empty.
    expect(Object.keys(file.tables).sort()).toEqual(exportPlan().tables.map((t) => t.table).sort());
    const rows = (table: string) => file.tables[table].rows as Record<string, any>[];
    expect(rows('users')).toEqual([expect.objectContaining({ id: user.userId, name: user.m.name, email: user.m.email, avatar: `https://example.test/${user.m.avatar}.png` })]);
    expect(rows('tools')).toEqual([expect.objectContaining({ id: user.toolId, name: user.m.toolName, prompt: `Tell ${user.m.prompt} about {{who}}.`, input_schema: expect.any(Object) })]);
    expect(rows('executions')).toEqual([expect.objectContaining({ id: user.liveRun, inputs: { who: user.m.inputs }, output: `Hello ${user.m.output}` })]);
    expect(rows('provider_keys')).toEqual([expect.objectContaining({ label: user.m.keyLabel, masked: expect.stringMatching(/^sk-…/) })]);
    expect(rows('api_tokens')).toEqual([expect.objectContaining({ name: user.m.tokenName })]);
    expect(rows('operator_actions')).toEqual([expect.objectContaining({ reason: user.m.auditReason, operator: 'operator' })]);
    expect(rows('privacy_requests')).toEqual([expect.objectContaining({ id: requestId, type: 'export', channel: 'api' })]);
    // The consent history (the register's consent_events): given at sign-up, withdrawn in settings.
    expect(rows('consent_events').map((e) => [e.purpose, e.granted, e.source])).toEqual(expect.arrayContaining([['marketing', true, 'signup'], ['marketing', false, 'settings']]));
    expect(rows('sessions').length).toBeGreaterThanOrEqual(1);
    expect(rows('security_events').map((e) => e.type)).toEqual(expect.arrayContaining(['provider_key_added', 'api_token_created']));
    expect(rows('ledger_entries').length).toBeGreaterThanOrEqual(1);
    expect(rows('credit_purchases').length).toBe(1);
    expect(rows('credit_accounts')).toEqual([expect.objectContaining({ available: 50 })]);
    expect(file.summary.unreadableValues).toBe(0);
    for (const [table, entry] of Object.entries<any>(file.tables)) expect(file.summary.rows[table]).toBe(entry.rows.length);
    const categories = new Set(Object.values<any>(file.tables).filter((t) => t.rows.length > 0).map((t) => t.category));
    expect([...categories].sort()).toEqual(['account', 'consent', 'creator_content', 'execution', 'financial', 'provider_key', 'security', 'support_audit']);

    // Never a secret, a hash, or data past its retention.
    const sessionHashes = (await prisma.session.findMany({ where: { userId: user.userId } })).map((s) => s.tokenHash);
    const stored = await prisma.user.findUniqueOrThrow({ where: { id: user.userId } });
    for (const secret of [user.m.apiKey, user.m.apiKey.slice(3, 20), user.token, sha256(user.token), ...sessionHashes, stored.passwordHash, user.m.expiredInputs]) {
      expect(res.text).not.toContain(secret);
    }
    const rowKeys = new Set(Object.values<any>(file.tables).flatMap((t) => t.rows.flatMap((r: object) => Object.keys(r))));
    for (const column of ['token_hash', 'password_hash', 'key_ciphertext', 'email_index', 'request_hash', 'wrapped_key', 'name_ciphertext']) expect(rowKeys).not.toContain(column);
    expect(file.tables.sessions.excluded).toHaveProperty('token_hash');
    expect(file.notIncluded).toHaveProperty('user_keys');

    // Stored as chunks sealed under the user's key: no marker in clear.
    const chunks = await prisma.dataExportChunk.findMany({ where: { requestId } });
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    const raw = Buffer.concat(chunks.map((c) => Buffer.from(c.ciphertext))).toString('latin1');
    for (const value of [user.m.name, user.m.email, user.m.prompt, user.m.inputs, user.m.output, user.m.keyLabel, user.m.tokenName, user.m.auditReason]) {
      expect(res.text).toContain(value);
      expect(raw).not.toContain(value);
    }
    // The workflow's history carries ids and dates only.
    const history = JSON.stringify(await api.deps.temporal.workflow.getHandle(`privacy-export-${requestId}`).fetchHistory());
    for (const value of [user.m.name, user.m.email, user.m.inputs, user.m.prompt]) expect(history).not.toContain(value);

    // Only the owner: another user's id is useless (404, not 403), for the file and the request.
    const other = await signedUpClient(api.baseUrl);
    expect((await download(other.client, requestId)).status).toBe(404);
    expect((await other.client.get(`/v1/privacy/requests/${requestId}`)).status).toBe(404);
    // A token of the owner works as the session does.
    const script = new HttpClient(api.baseUrl);
    script.bearer = user.token;
    expect((await download(script, requestId)).text).toBe(res.text);

    // At expiry the workflow's timer deletes the file; the link answers 410 and the request no longer offers it.
    await waitFor(async () => (await prisma.dataExportChunk.count({ where: { requestId } })) === 0, { timeoutMs: LINK_TTL_MS + 45_000, what: 'the chunks to be deleted at expiry' });
    const gone = await download(user.client, requestId);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('export_expired');
    expect((await user.client.get(`/v1/privacy/requests/${requestId}`)).body.downloadUrl).toBeUndefined();
    expect(await prisma.dataExport.findUniqueOrThrow({ where: { requestId } })).toMatchObject({ deletedAt: expect.any(Date), sha256: null });
  }, 120_000);

  it('answers 410 once expiresAt has passed, even before the timer deletes the file', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const request = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'export', status: 'completed', dueAt: new Date(Date.now() + 86_400_000), completedAt: new Date() } });
    const sink = chunkWriter(prisma, dataKeys(), { requestId: request.id, userId: user.id });
    await sink.write('{"formatVersion":1}');
    const file = await sink.finish();
    await prisma.dataExport.create({ data: { requestId: request.id, userId: user.id, formatVersion: 1, ...file, expiresAt: new Date(Date.now() - 1) } });
    const res = await download(client, request.id);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('export_expired');
    expect(await prisma.dataExportChunk.count({ where: { requestId: request.id } })).toBe(1);
  });
});

describe('bad input', () => {
  it('no fresh proof 403, malformed id 400, not an export / none / another user\'s 404, not ready 409, failed 409; nothing changes', async () => {
    const { client, user } = await signedUpClient(api.baseUrl);
    const noProof = await client.post('/v1/privacy/exports');
    expect(noProof.status).toBe(403);
    expect(noProof.body.error.code).toBe('reauthentication_required');
    expect(await prisma.privacyRequest.count({ where: { userId: user.id } })).toBe(0);

    const due = new Date(Date.now() + 86_400_000);
    const objection = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'objection', dueAt: due } });
    const pending = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'export', dueAt: due } });
    const failed = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'export', status: 'failed', failureCode: 'export_failed', dueAt: due } });
    const before = await prisma.privacyRequest.findMany({ where: { userId: user.id }, orderBy: { id: 'asc' } });

    const expectError = async (pathname: string, status: number, code: string) => {
      const res = await client.get(pathname);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    };
    await expectError('/v1/privacy/exports/not-a-uuid/download', 400, 'validation_failed');
    await expectError(`/v1/privacy/exports/${objection.id}/download`, 404, 'not_found');
    await expectError(`/v1/privacy/exports/${randomUUID()}/download`, 404, 'not_found');
    await expectError(`/v1/privacy/exports/${pending.id}/download`, 409, 'export_not_ready');
    await expectError(`/v1/privacy/exports/${failed.id}/download`, 409, 'export_failed');
    const stranger = await signedUpClient(api.baseUrl);
    const theirs = await stranger.client.get(`/v1/privacy/exports/${pending.id}/download`);
    expect(theirs.status).toBe(404);
    expect((await new HttpClient(api.baseUrl).get(`/v1/privacy/exports/${pending.id}/download`)).status).toBe(401);
    expect((await client.post('/v1/privacy/exports', { unexpected: true })).status).toBe(400);

    expect(await prisma.privacyRequest.findMany({ where: { userId: user.id }, orderBy: { id: 'asc' } })).toEqual(before);
    expect(await prisma.dataExportChunk.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe('the stored file', () => {
  it('is cut into chunks on character boundaries and read back whole, in order', async () => {
    const { user } = await signedUpClient(api.baseUrl);
    const request = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'export', dueAt: new Date(Date.now() + 86_400_000) } });
    const text = `{"x":"${'é€😀a'.repeat(200)}"}`;
    const sink = chunkWriter(prisma, dataKeys(), { requestId: request.id, userId: user.id }, 64);
    const chars = [...text]; // pieces of whole characters, as the writer emits them
    for (let i = 0; i < chars.length; i += 37) await sink.write(chars.slice(i, i + 37).join(''));
    const file = await sink.finish();
    expect(file.chunkCount).toBeGreaterThan(10);
    expect(file.sizeBytes).toBe(Buffer.byteLength(text));
    const pieces: Buffer[] = [];
    for await (const piece of readChunks(prisma, dataKeys(), { requestId: request.id, userId: user.id, chunkCount: file.chunkCount })) pieces.push(piece);
    expect(Buffer.concat(pieces).toString('utf8')).toBe(text);
  });

  it('a retried write starts over: chunks an earlier attempt left are replaced, and the file is whole', async () => {
    const { user } = await signedUpClient(api.baseUrl);
    const request = await prisma.privacyRequest.create({ data: { userId: user.id, type: 'export', status: 'running', dueAt: new Date(Date.now() + 86_400_000) } });
    const leftover = chunkWriter(prisma, dataKeys(), { requestId: request.id, userId: user.id }, 16);
    await leftover.write('x'.repeat(16 * 50)); // a crashed attempt's 50 chunks
    const activities = createExportActivities({ prisma, dataKeys: dataKeys(), logger: capturingLogger().logger, config: api.deps.config });
    const env = new MockActivityEnvironment();
    const first = await env.run(activities.writeExport, request.id);
    const second = await env.run(activities.writeExport, request.id); // the result was lost: the retry finds the file recorded
    expect(second).toEqual(first);
    const recorded = await prisma.dataExport.findUniqueOrThrow({ where: { requestId: request.id } });
    expect(await prisma.dataExportChunk.count({ where: { requestId: request.id } })).toBe(recorded.chunkCount);
    const pieces: Buffer[] = [];
    for await (const piece of readChunks(prisma, dataKeys(), { requestId: request.id, userId: user.id, chunkCount: recorded.chunkCount })) pieces.push(piece);
    const whole = Buffer.concat(pieces);
    expect(sha256(whole.toString('utf8'))).toBe(recorded.sha256);
    expect(JSON.parse(whole.toString('utf8'))).toMatchObject({ requestId: request.id, userId: user.id });
    expect((await prisma.privacyRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe('completed');
  });

  it('the published JSON Schema is the one the register makes today (npm run docs:privacy)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(renderExportJsonSchema());
  });
});

describe('an export the DPO opens on a user\'s behalf', () => {
  it('is recorded as arrived by email and made like the user\'s own; the file goes to the user, not the DPO', async () => {
    const officer = await signedUpClient(api.baseUrl, 'Data Protection Officer');
    await grantRole(prisma, officer.email, 'dpo');
    const { client, user } = await signedUpClient(api.baseUrl);
    const opened = await officer.client.post('/v1/admin/privacy-requests', { userId: user.id, type: 'export', channel: 'email' });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ type: 'export', channel: 'email', openedBy: `dpo:${officer.user.id}` });
    const view = await waitFor(async () => (await client.get(`/v1/privacy/requests/${opened.body.id}`)).body.downloadUrl && true, { timeoutMs: 60_000, what: 'the export' });
    expect(view).toBe(true);
    const file = await client.get(`/v1/privacy/exports/${opened.body.id}/download`);
    expect(file.status).toBe(200);
    expect(file.body.userId).toBe(user.id);
    expect((await officer.client.get(`/v1/privacy/exports/${opened.body.id}/download`)).status).toBe(404);
  }, 90_000);
});
