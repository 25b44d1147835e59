// How a tool run settles its credit hold when the run does not end the happy
// way: cancelled mid-call, or its hold already released by the expiry sweeper
// while the model was still answering. The promises: the user is charged
// nothing for a run that kept no output, every hold is released exactly once,
// and the workflow always finishes. The real stack: API over HTTP, a real
// Temporal dev server and worker, a real Postgres, a fake model over HTTP.
import { randomUUID } from 'node:crypto';
import { signedUpClient, type HttpClient } from '../helpers/api';
import { closeTestPrisma, testPrisma } from '../helpers/env';
import { startExecutionStack, type ExecutionStack } from '../helpers/stack';
import { expectLedgerConsistent, fundAccount } from '../helpers/accounts';
import { createTool } from '../helpers/tools';
import { waitFor } from '../helpers/wait';
import type { WorkflowHandle } from '@temporalio/client';
import { createLedger } from '../../src/credits/ledger';
import { outcomeUpdate } from '../../src/executions/contract';

const prisma = testPrisma();
const ledger = createLedger(prisma, { reservationTtlMs: 600_000 });
const STARTING_BALANCE = 50;

afterAll(async () => {
  await closeTestPrisma();
});

const workflowIdOf = (executionId: string) => `tool-execution-${executionId}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run's outcome once settled (its workflow then keeps the record's timer), or a clear failure if it has not settled within `timeoutMs` (stuck). */
async function completion(handle: WorkflowHandle, timeoutMs = 15_000): Promise<any> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the workflow did not complete within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([handle.executeUpdate(outcomeUpdate), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

/** A funded user and a (10-credit) tool from another user, on `stack`. */
async function payingUserAndTool(stack: ExecutionStack) {
  const creator = await signedUpClient(stack.api.baseUrl, 'Creator');
  const tool = await createTool(creator.client);
  const { client, user } = await signedUpClient(stack.api.baseUrl);
  await fundAccount(prisma, ledger, user.id, STARTING_BALANCE);
  expect(await expectLedgerConsistent(prisma, user.id)).toEqual({ available: STARTING_BALANCE, reserved: 0 });
  return { client, userId: user.id as string, toolId: tool.id };
}

/** Starts a run (answered 202 at once) and waits until its model call is in flight at the fake provider. */
async function startRunAndAwaitModelCall(stack: ExecutionStack, client: HttpClient, toolId: string) {
  const marker = `who-${randomUUID()}`;
  const res = await client.post(`/v1/tools/${toolId}/executions`, { inputs: { who: marker } });
  expect(res.status).toBe(202);
  await waitFor(async () => stack.model.requests.some((r) => r.prompt.includes(marker)), { what: 'the model call to begin' });
  const executionId = res.body.id as string;
  return { executionId, handle: stack.api.deps.temporal.workflow.getHandle(workflowIdOf(executionId)) };
}

/** What the run left behind: its record, its hold, and the ledger entries for it. */
async function settlementOf(executionId: string) {
  const [execution] = await prisma.$queryRaw<{ status: string; error_code: string | null; cost_credits: number | null; has_output: boolean }[]>`
    SELECT status::text, error_code, cost_credits, output_ciphertext IS NOT NULL AS has_output FROM executions WHERE id = ${executionId}::uuid`;
  const [reservation] = await prisma.$queryRaw<{ state: string }[]>`
    SELECT state::text FROM credit_reservations WHERE execution_id = ${executionId}::uuid`;
  const entries = await prisma.ledgerEntry.findMany({ where: { executionId }, orderBy: { createdAt: 'asc' } });
  return { execution, reservation, entryTypes: entries.map((e) => e.type as string) };
}

describe('with the default hold lifetime', () => {
  let stack: ExecutionStack;

  beforeAll(async () => {
    stack = await startExecutionStack({ MODEL_TIMEOUT: '20s' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('a run cancelled while the model call is in flight releases its whole hold, fails as cancelled and keeps no output', async () => {
    const { client, userId, toolId } = await payingUserAndTool(stack);
    const modelDelayMs = 3_000;
    stack.model.script({ delayMs: modelDelayMs }); // the model would answer, successfully, after the cancel
    const { executionId, handle } = await startRunAndAwaitModelCall(stack, client, toolId);
    const calledAt = Date.now();
    expect(await expectLedgerConsistent(prisma, userId)).toEqual({ available: STARTING_BALANCE - 10, reserved: 10 });

    await handle.cancel();
    await completion(handle); // the run settles after the cancel
    // Let the model's late answer arrive too: the cancelled run must not keep it.
    await sleep(Math.max(0, calledAt + modelDelayMs + 1_500 - Date.now()));

    const { execution, reservation, entryTypes } = await settlementOf(executionId);
    expect(execution).toEqual({ status: 'failed', error_code: 'cancelled', cost_credits: 0, has_output: false });
    expect(reservation).toEqual({ state: 'released' });
    expect(entryTypes).toEqual(['reservation', 'release']);
    expect(await expectLedgerConsistent(prisma, userId)).toEqual({ available: STARTING_BALANCE, reserved: 0 });
    const seen = await client.get(`/v1/executions/${executionId}`);
    expect(seen.body).toMatchObject({ status: 'failed', costCredits: 0, output: null, error: { code: 'cancelled' } });
  }, 30_000);

  it("the workflow's phase query answers 'calling_model' while the model call is in flight, and 'succeeded' after", async () => {
    const { client, toolId } = await payingUserAndTool(stack);
    stack.model.script({ delayMs: 2_000 });
    const { handle } = await startRunAndAwaitModelCall(stack, client, toolId);
    expect(await handle.query<string>('phase')).toBe('calling_model');
    expect(await completion(handle)).toMatchObject({ status: 'succeeded' });
    expect(await handle.query<string>('phase')).toBe('succeeded');
  });
});

describe('when the expiry sweeper released the hold while the model call was in flight', () => {
  let stack: ExecutionStack;
  const modelDelayMs = 4_000; // well past the 1 s hold lifetime

  beforeAll(async () => {
    stack = await startExecutionStack({ RESERVATION_TTL: '1s', MODEL_TIMEOUT: '20s' });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  /** Waits for the run's hold to expire, then runs the sweeper (a Temporal Schedule in production) once. */
  async function sweepWhileCallInFlight(executionId: string, handle: { query<T>(name: string): Promise<T> }) {
    const hold = await prisma.creditReservation.findUniqueOrThrow({ where: { executionId } });
    await sleep(Math.max(0, hold.expiresAt.getTime() + 50 - Date.now()));
    await createLedger(prisma, { reservationTtlMs: 1_000 }).releaseExpired();
    // The situation under test: the hold is gone and the model has not answered yet.
    expect((await prisma.creditReservation.findUniqueOrThrow({ where: { executionId } })).state).toBe('released');
    expect(await handle.query<string>('phase')).toBe('calling_model');
  }

  it('a model call that then fails finishes cleanly: failed, no output, nothing charged, released exactly once', async () => {
    const { client, userId, toolId } = await payingUserAndTool(stack);
    stack.model.script({ delayMs: modelDelayMs, status: 400 });
    const { executionId, handle } = await startRunAndAwaitModelCall(stack, client, toolId);
    await sweepWhileCallInFlight(executionId, handle);

    // The workflow completes (neither stuck nor failed) with a failed run.
    expect(await completion(handle)).toMatchObject({ status: 'failed', costCredits: 0, errorCode: 'model_rejected_request' });
    const { execution, reservation, entryTypes } = await settlementOf(executionId);
    expect(execution).toEqual({ status: 'failed', error_code: 'model_rejected_request', cost_credits: 0, has_output: false });
    expect(reservation).toEqual({ state: 'released' });
    expect(entryTypes).toEqual(['reservation', 'release']);
    expect(await expectLedgerConsistent(prisma, userId)).toEqual({ available: STARTING_BALANCE, reserved: 0 });
  }, 30_000);

  it('a model call that then succeeds is not charged for credits no longer held, and the run still finishes', async () => {
    const { client, userId, toolId } = await payingUserAndTool(stack);
    stack.model.script({ delayMs: modelDelayMs });
    const { executionId, handle } = await startRunAndAwaitModelCall(stack, client, toolId);
    await sweepWhileCallInFlight(executionId, handle);

    const outcome = await completion(handle); // completes: not stuck, not failed
    const { execution, reservation, entryTypes } = await settlementOf(executionId);
    // Nothing is captured after the hold was released: the user is charged nothing.
    expect(reservation).toEqual({ state: 'released' });
    expect(entryTypes).toEqual(['reservation', 'release']);
    expect(await expectLedgerConsistent(prisma, userId)).toEqual({ available: STARTING_BALANCE, reserved: 0 });
    // The refused capture fails the run as hold_expired, and a failed run keeps no output
    // (the model was called on the platform key; the answer is thrown away).
    expect(outcome).toMatchObject({ status: 'failed', costCredits: 0, errorCode: 'hold_expired' });
    expect(execution).toEqual({ status: 'failed', error_code: 'hold_expired', cost_credits: 0, has_output: false });
  }, 30_000);
});
