// Starting and reading tool runs. Starting validates the inputs against the
// tool's schema, writes the execution record (inputs encrypted, the model's
// price fixed), and starts the run's workflow with update-with-start: the same
// request learns whether the credits were held (402 otherwise), without polling.
import { randomUUID } from 'node:crypto';
import { sqlTransaction } from '../db';
import type { PrismaClient, Tool } from '@prisma/client';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ValidateFunction } from 'ajv';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import { DomainError, notFound, type ErrorCode } from '../errors';
import { claimIdempotencyKey } from '../idempotency';
import { newestFirst } from '../pagination';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { deleteExecutionRecord, endRecordTimer, ledgerNamesExecution } from '../retention/service';
import type { ToolService } from '../tools/service';
import { inputValidator } from '../tools/input-schema';
import { modelPrice, promptTokenLimit, worstCaseCost } from '../tools/pricing';
import { sha256 } from '../accounts/credentials';
import { ADMISSION_REFUSALS, admissionAndOutcomeUpdate, admissionUpdate, executionWorkflowId, outcomeUpdate, type Admission } from './contract';
import { runToolWorkflowV2 } from './workflows';
import { measurePrompt } from './prompt';

export interface ExecutionServiceDeps {
  config: Pick<
    Config,
    | 'TEMPORAL_TASK_QUEUE'
    | 'EXECUTION_RETENTION'
    | 'BYOM_PLATFORM_FEE'
    | 'MAX_CONCURRENT_EXECUTIONS'
    | 'MODEL_TIMEOUT'
    | 'MODEL_CALL_ATTEMPTS'
    | 'MODEL_RETRY_INITIAL_INTERVAL'
    | 'MODEL_MAX_OUTPUT_TOKENS'
    | 'MAX_PROMPT_CHARS'
    | 'RESERVATION_TTL'
  >;
  prisma: PrismaClient;
  dataKeys: DataKeys;
  temporal: Client;
  tools: ToolService;
}

/** JSON with object keys sorted, so the same request always hashes the same. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** `promise`'s value, or undefined once `ms` have passed first (its rejection, if it comes first, is thrown). */
async function untilDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const isAdmissionRefusal = (code: string): code is (typeof ADMISSION_REFUSALS)[number] => (ADMISSION_REFUSALS as readonly string[]).includes(code);

/** A run's record as admission writes it. */
interface NewExecution {
  id: string;
  userId: string;
  toolId: string;
  providerKeyId: string | null;
  byom: boolean;
  model: string;
  creditsPer1kInputTokens: number;
  creditsPer1kOutputTokens: number;
  reservedCredits: number;
  inputsCiphertext: Uint8Array;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface StartInput {
  inputs: Record<string, unknown>;
  providerKeyId?: string;
  waitSeconds?: number;
}

export function createExecutionService({ config, prisma, dataKeys, temporal, tools }: ExecutionServiceDeps) {
  /** A record that is not there: expired or deleted (410) when the caller's own ledger still names it, else unknown (404). */
  async function goneOrNotFound(userId: string, id: string): Promise<DomainError> {
    if (await ledgerNamesExecution(prisma, userId, id)) {
      return new DomainError('execution_expired', 'this run was deleted (retention expiry or your request); only its ledger entries remain');
    }
    return notFound('execution');
  }

  const validators = new Map<string, ValidateFunction>();
  function validatorFor(toolId: string, updatedAt: Date, schema: unknown): ValidateFunction {
    const cacheKey = `${toolId}:${updatedAt.getTime()}`;
    let validate = validators.get(cacheKey);
    if (!validate) {
      try {
        validate = inputValidator(schema);
      } catch {
        // Only a tool saved under older, looser rules can get here: its schema no longer compiles.
        throw new DomainError('tool_misconfigured', 'this tool\'s input schema is not valid; its creator must correct it');
      }
      if (validators.size >= 1000) validators.clear(); // bounded: recompiling is cheap
      validators.set(cacheKey, validate);
    }
    return validate;
  }

  /**
   * Refuses a prompt over the bounds (characters, and estimated tokens within the
   * model's context) before anything is written; returns its estimated tokens.
   * The size is computed, not rendered: a hostile template costs nothing here.
   */
  async function checkPromptSize(tool: Tool, inputs: Record<string, unknown>): Promise<number> {
    const { chars, bytes } = measurePrompt(await tools.promptOf(tool), inputs);
    const maxTokens = promptTokenLimit(tool.model, config);
    if (chars > config.MAX_PROMPT_CHARS || bytes > maxTokens) {
      throw new DomainError('prompt_too_large', 'the prompt these inputs make is too large for this tool\'s model', {
        chars,
        maxChars: config.MAX_PROMPT_CHARS,
        estimatedTokens: bytes,
        maxTokens,
      });
    }
    return bytes;
  }

  /**
   * Writes the run's record if the user has fewer than MAX_CONCURRENT_EXECUTIONS
   * runs in flight. The check and the write are one transaction: the user's row is
   * locked first, so simultaneous starts queue and each sees the others' records.
   * Prepared statements, not Prisma: every run starts here (docs/BENCHMARKS.md, "Tool runs").
   */
  async function admitWithinConcurrencyCap(record: NewExecution): Promise<void> {
    await sqlTransaction(prisma, async (tx) => {
      await tx.query({ name: 'executions.lock-user', text: 'SELECT 1 FROM users WHERE id = $1::uuid FOR UPDATE', values: [record.userId] });
      // A record left pending past RESERVATION_TTL never got its workflow (the API died in between): it no longer counts.
      // A second statement, so that its snapshot sees every record committed before the lock was had.
      const staleBefore = new Date(Date.now() - config.RESERVATION_TTL);
      const { rows } = await tx.query<{ running: number }>({
        name: 'executions.running',
        text: `SELECT count(*)::int AS running FROM executions
                WHERE user_id = $1::uuid AND (status = 'running' OR (status = 'pending' AND created_at > $2::timestamptz))`,
        values: [record.userId, staleBefore],
      });
      if ((rows[0]?.running ?? 0) >= config.MAX_CONCURRENT_EXECUTIONS) {
        throw new DomainError('too_many_running', `at most ${config.MAX_CONCURRENT_EXECUTIONS} runs at once; wait for one to finish`);
      }
      // The key is checked under the user's lock, which deleting a key takes first: the answer holds
      // until the record is written (checked earlier, a key deleted meanwhile broke the insert).
      if (record.providerKeyId) {
        const key = await tx.query({ name: 'executions.own-key', text: 'SELECT 1 FROM provider_keys WHERE id = $1::uuid AND user_id = $2::uuid', values: [record.providerKeyId, record.userId] });
        if (key.rowCount === 0) throw notFound('provider key');
      }
      await tx.query({
        name: 'executions.insert',
        text: `INSERT INTO executions (id, user_id, tool_id, provider_key_id, byom, status, model, credits_per_1k_input_tokens,
                 credits_per_1k_output_tokens, reserved_credits, inputs_ciphertext, idempotency_key, request_hash, created_at, expires_at)
               VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5, 'pending', $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        values: [
          record.id,
          record.userId,
          record.toolId,
          record.providerKeyId,
          record.byom,
          record.model,
          record.creditsPer1kInputTokens,
          record.creditsPer1kOutputTokens,
          record.reservedCredits,
          record.inputsCiphertext,
          record.idempotencyKey,
          record.requestHash,
          record.createdAt,
          record.expiresAt,
        ],
      });
    });
  }

  /**
   * Waits up to `waitMs` for the run to settle. Its workflow answers the outcome update once settled
   * (and goes on to keep the record's retention timer). A run started before that change has no such
   * update and ends its workflow when settled: its result is the signal then.
   */
  async function waitForResult(executionId: string, waitMs: number) {
    if (waitMs <= 0) return;
    const handle = temporal.workflow.getHandle(executionWorkflowId(executionId));
    const settled = handle
      .executeUpdate(outcomeUpdate)
      .catch(() => handle.result())
      .catch(() => undefined);
    await untilDeadline(settled, waitMs);
  }

  /**
   * Starts the run and waits up to `waitMs` for it to settle, with one update that answers the
   * admission and the outcome together. When the wait ends first, the admission (decided long
   * before: it is one local activity) is asked for on its own; the run goes on either way.
   */
  async function admitAndWait(startOperation: WithStartWorkflowOperation<typeof runToolWorkflowV2>, waitMs: number): Promise<Admission> {
    const both = temporal.workflow.executeUpdateWithStart(admissionAndOutcomeUpdate, { startWorkflowOperation: startOperation });
    const answered = await untilDeadline(both, waitMs);
    if (answered) return answered.admission;
    both.catch(() => undefined); // still pending: its late answer (or failure) is not needed
    // Not through the start operation's handle: that resolves only when the whole update-with-start
    // does. A workflow not started yet (the server that slow) is waited for to the end instead.
    return temporal.workflow
      .getHandle(startOperation.options.workflowId)
      .executeUpdate(admissionUpdate)
      .catch(async (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return (await both).admission;
        throw err;
      });
  }

  /** Everything checked before a run's record is written; returns what the record needs. */
  async function admissionPlan(userId: string, toolId: string, input: StartInput) {
    const tool = await tools.get(toolId);
    const validate = validatorFor(tool.id, tool.updatedAt, tool.inputSchema);
    if (!validate(input.inputs)) {
      throw new DomainError(
        'invalid_inputs',
        'the inputs do not match the tool',
        (validate.errors ?? []).map((e) => ({ field: e.instancePath.replace(/^\//, '') || String(e.params.additionalProperty ?? e.params.missingProperty ?? ''), message: e.message })),
      );
    }
    if (tool.byomOnly && !input.providerKeyId) {
      throw new DomainError('provider_key_required', 'this tool runs only with your own provider key: send providerKeyId');
    }
    // The run's price is decided here, once, and stored on its record: the charge after the model answers uses it.
    const price = modelPrice(tool.model);
    const promptTokens = await checkPromptSize(tool, input.inputs); // every run, BYOM too: no unbounded prompt is ever sent
    // A run on the platform's key holds at least its worst-case model cost; BYOM runs hold the platform fee.
    const held = input.providerKeyId ? config.BYOM_PLATFORM_FEE : Math.max(tool.priceCredits, worstCaseCost(tool.model, promptTokens, config));
    return { tool, price, held };
  }

  return {
    async start(userId: string, toolId: string, input: StartInput, idempotencyKey?: string) {
      // What the key stands for: the run's tool, inputs and key (waitSeconds only changes how long this answer waits).
      const requestHash = sha256(canonicalJson({ toolId, inputs: input.inputs, providerKeyId: input.providerKeyId ?? null }));
      const waitMs = (input.waitSeconds ?? 0) * 1000;
      const id = randomUUID();
      const claim = await claimIdempotencyKey({
        key: idempotencyKey,
        find: () => prisma.execution.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey: idempotencyKey ?? '' } } }),
        sameRequest: (earlier) => earlier.toolId === toolId && (earlier.requestHash === null || earlier.requestHash === requestHash),
        create: async () => {
          const { tool, price, held } = await admissionPlan(userId, toolId, input);
          const inputsCiphertext = await dataKeys.seal(ENCRYPTED_COLUMNS.executionInputs, id, userId, JSON.stringify(input.inputs));
          const now = new Date();
          const record = {
            id,
            userId,
            toolId,
            providerKeyId: input.providerKeyId ?? null,
            byom: input.providerKeyId !== undefined,
            model: tool.model,
            creditsPer1kInputTokens: price.creditsPer1kInputTokens,
            creditsPer1kOutputTokens: price.creditsPer1kOutputTokens,
            reservedCredits: held,
            inputsCiphertext,
            idempotencyKey: idempotencyKey ?? null,
            requestHash: idempotencyKey ? requestHash : null,
            createdAt: now,
            expiresAt: new Date(now.getTime() + config.EXECUTION_RETENTION),
          };
          await admitWithinConcurrencyCap(record);
          return record;
        },
      });
      if ('replay' in claim) {
        await waitForResult(claim.replay.id, waitMs);
        return prisma.execution.findUniqueOrThrow({ where: { id: claim.replay.id } });
      }
      const execution = claim.created;

      const startOperation = new WithStartWorkflowOperation(runToolWorkflowV2, {
        workflowId: executionWorkflowId(id),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [
          {
            executionId: id,
            modelTimeoutMs: config.MODEL_TIMEOUT,
            modelAttempts: config.MODEL_CALL_ATTEMPTS,
            modelRetryInitialMs: config.MODEL_RETRY_INITIAL_INTERVAL,
            expiresAt: execution.expiresAt.toISOString(),
          },
        ],
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.toolId, value: toolId },
          { key: SEARCH_ATTRIBUTE_KEYS.executionId, value: id },
          { key: SEARCH_ATTRIBUTE_KEYS.toolRunStatus, value: 'pending' },
          { key: SEARCH_ATTRIBUTE_KEYS.expiresAt, value: execution.expiresAt },
        ],
      });
      // A refused run (no credits) has already deleted its record, inputs and all, when this answers.
      const admission = waitMs > 0 ? await admitAndWait(startOperation, waitMs) : await temporal.workflow.executeUpdateWithStart(admissionUpdate, { startWorkflowOperation: startOperation });
      if (!admission.admitted) {
        // Only the refusals admission is meant to answer reach the client; any other code is our bug (a 500, logged).
        if (!isAdmissionRefusal(admission.code)) throw new Error(`run ${id} refused at admission with unexpected code ${admission.code}`);
        throw new DomainError(admission.code as ErrorCode, admission.message);
      }
      return prisma.execution.findUniqueOrThrow({ where: { id } });
    },

    list(userId: string, after: object, limit: number) {
      return prisma.execution.findMany({ where: { userId, ...after }, orderBy: newestFirst, take: limit + 1 });
    },

    /** Deletes the caller's finished run now, the whole record, as expiry would. */
    async deleteData(userId: string, id: string) {
      const execution = await prisma.execution.findFirst({ where: { id, userId } });
      if (!execution) throw await goneOrNotFound(userId, id);
      if (execution.status === 'pending' || execution.status === 'running') {
        throw new DomainError('execution_running', 'this run has not finished yet; delete it once it has');
      }
      await deleteExecutionRecord(prisma, id);
      await endRecordTimer(temporal, id);
    },

    /** The caller's execution; 410 once deleted if their ledger names it, else 404 (also for someone else's id). */
    async getOwn(userId: string, id: string) {
      const execution = await prisma.execution.findFirst({ where: { id, userId } });
      if (!execution) throw await goneOrNotFound(userId, id);
      return execution;
    },
  };
}

export type ExecutionService = ReturnType<typeof createExecutionService>;
