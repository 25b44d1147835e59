// Activities of a tool run. The model call is the only place where the tool's
// prompt, the run's inputs and (for BYOM) the user's key exist in clear, and
// only in this process's memory for the duration of the call. The workflow
// sees ids and token counts, never content or keys.
import { ApplicationFailure } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import OpenAI from 'openai';
import type { Config } from '../config';
import type { DataKeys } from '../crypto/data-keys';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { Logger } from '../logger';
import type { Ledger } from '../credits/ledger';
import { refusalsAsFailures } from '../temporal/refusals';
import { sqlPool } from '../db';
import { renderPrompt } from './prompt';
import { costOfRun } from '../tools/pricing';
import type { ModelCallResult, RunPlan } from './contract';

export interface ExecutionActivityDeps {
  config: Pick<Config, 'OPENAI_API_KEY' | 'OPENAI_BASE_URL' | 'MODEL_TIMEOUT' | 'MODEL_MAX_OUTPUT_TOKENS' | 'MAX_PROMPT_CHARS'>;
  prisma: PrismaClient;
  dataKeys: DataKeys;
  logger: Logger;
  ledger: Ledger;
}

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * Classifies a provider failure: 429, 5xx, timeouts and network errors are
 * retried; other 4xx fail at once. The message says what happened on this
 * attempt, never "retrying" (the last attempt's message is what the run keeps),
 * and never echoes the provider's text (it may quote the key).
 */
export function classifyModelError(err: unknown, timeoutMs: number, elapsedMs: number): ApplicationFailure {
  // The client's time limit ran out. Not every fetch implementation lets the SDK tell a timeout from a
  // dropped connection, so a connection error at the time limit counts as a timeout too.
  const atTimeLimit = err instanceof OpenAI.APIConnectionError && elapsedMs >= timeoutMs - 50;
  if (err instanceof OpenAI.APIConnectionTimeoutError || atTimeLimit) {
    return ApplicationFailure.create({ type: 'model_timeout', message: `the model did not answer within ${timeoutMs % 1000 === 0 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}` });
  }
  if (err instanceof OpenAI.APIError) {
    const status = err.status;
    if (status === undefined) return ApplicationFailure.create({ type: 'model_unavailable', message: 'the model provider could not be reached' });
    if (status === 429 || status >= 500) {
      return ApplicationFailure.create({ type: 'model_unavailable', message: `the model provider answered ${status}` });
    }
    if (status === 401 || status === 403) return permanent('invalid_provider_key', `the model provider refused the API key (${status})`);
    return permanent('model_rejected_request', `the model provider rejected the request (${status})`);
  }
  return ApplicationFailure.create({ type: 'model_unavailable', message: 'the model call failed before an answer arrived' });
}

/**
 * What the model call needs of its run, its tool and its provider key, in one statement. The run's
 * steps are prepared `pg` statements, not Prisma calls: each Prisma call costs several times the
 * statement's own CPU, and a run takes several (docs/BENCHMARKS.md, "Tool runs").
 */
const MODEL_CALL_ROW = `
  SELECT e.user_id, e.tool_id, e.byom, e.reserved_credits, e.model, e.inputs_ciphertext, e.output_ciphertext,
         e.prompt_tokens, e.completion_tokens, e.credits_per_1k_input_tokens, e.credits_per_1k_output_tokens,
         t.creator_id, t.prompt_ciphertext, t.deleted_at AS tool_deleted_at,
         k.id AS key_id, k.user_id AS key_user_id, k.key_ciphertext
    FROM executions e
    JOIN tools t ON t.id = e.tool_id
    LEFT JOIN provider_keys k ON k.id = e.provider_key_id
   WHERE e.id = $1::uuid`;

interface ModelCallRow {
  user_id: string;
  tool_id: string;
  byom: boolean;
  reserved_credits: number;
  model: string;
  inputs_ciphertext: Buffer | null;
  output_ciphertext: Buffer | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  credits_per_1k_input_tokens: number | null;
  credits_per_1k_output_tokens: number | null;
  creator_id: string;
  prompt_ciphertext: Buffer | null;
  tool_deleted_at: Date | null;
  key_id: string | null;
  key_user_id: string | null;
  key_ciphertext: Buffer | null;
}

const modelCallOf = (r: ModelCallRow) => ({
  userId: r.user_id,
  toolId: r.tool_id,
  byom: r.byom,
  reservedCredits: r.reserved_credits,
  model: r.model,
  inputsCiphertext: r.inputs_ciphertext,
  outputCiphertext: r.output_ciphertext,
  promptTokens: r.prompt_tokens,
  completionTokens: r.completion_tokens,
  pricing: {
    byom: r.byom,
    reservedCredits: r.reserved_credits,
    model: r.model,
    creditsPer1kInputTokens: r.credits_per_1k_input_tokens,
    creditsPer1kOutputTokens: r.credits_per_1k_output_tokens,
  },
  tool: { creatorId: r.creator_id, promptCiphertext: r.prompt_ciphertext, deletedAt: r.tool_deleted_at },
  providerKey: r.key_id && r.key_user_id && r.key_ciphertext ? { id: r.key_id, userId: r.key_user_id, keyCiphertext: r.key_ciphertext } : null,
});

export function createExecutionActivities({ config, prisma, dataKeys, logger, ledger }: ExecutionActivityDeps) {
  const sql = sqlPool(prisma);
  const activities = {
    /** Marks the run as running and says what it needs (credits to hold, whether it is BYOM). */
    async startExecution(executionId: string): Promise<RunPlan> {
      const { rows } = await sql.query<{ user_id: string; tool_id: string; model: string; reserved_credits: number; byom: boolean }>({
        name: 'executions.start',
        // The CTE's update is not visible to the outer SELECT (one snapshot): it reads the row as it was.
        text: `WITH started AS (
                 UPDATE executions SET status = 'running', started_at = now() WHERE id = $1::uuid AND status = 'pending'
               )
               SELECT user_id, tool_id, model, reserved_credits, byom FROM executions WHERE id = $1::uuid`,
        values: [executionId],
      });
      const execution = rows[0];
      if (!execution) throw permanent('execution_not_found', 'no such execution');
      return {
        accountId: execution.user_id,
        toolId: execution.tool_id,
        model: execution.model,
        reservedCredits: execution.reserved_credits,
        byom: execution.byom,
      };
    },

    /**
     * Calls the model, stores the output encrypted and answers the usage with what the run owes for
     * it (priced from the same read). Idempotent: a retry after the output was stored does not call again.
     */
    async callModel(executionId: string): Promise<ModelCallResult> {
      const { rows } = await sql.query<ModelCallRow>({ name: 'executions.model-call', text: MODEL_CALL_ROW, values: [executionId] });
      const row = rows[0];
      if (!row) throw permanent('execution_not_found', 'no such execution');
      const execution = modelCallOf(row);
      if (execution.outputCiphertext) {
        const usage = { promptTokens: execution.promptTokens ?? 0, completionTokens: execution.completionTokens ?? 0 };
        return { ...usage, costCredits: costOfRun(execution.pricing, usage) };
      }
      if (!execution.tool.promptCiphertext || execution.tool.deletedAt) throw permanent('tool_deleted', 'the tool was deleted');
      // A run admitted as BYOM calls the provider with that user's key or not at all: never with the platform's.
      if (execution.byom && !execution.providerKey) throw permanent('provider_key_deleted', 'the provider key this run was started with was deleted');
      if (!execution.inputsCiphertext) throw permanent('execution_not_found', 'the run has no inputs');

      // Only this run's own tool prompt and own inputs: nothing else is read.
      // Each under its owner's data key: the prompt under the creator's, the inputs under the user's.
      const template = await dataKeys.open(ENCRYPTED_COLUMNS.toolPrompt, execution.toolId, execution.tool.creatorId, execution.tool.promptCiphertext);
      const inputs = JSON.parse(await dataKeys.open(ENCRYPTED_COLUMNS.executionInputs, executionId, execution.userId, execution.inputsCiphertext)) as Record<string, unknown>;
      // The platform's key only for a run that holds credits for it (admission holds at least the worst-case cost).
      if (!execution.byom && execution.reservedCredits < 1) throw permanent('nothing_held', 'a run on the platform key must hold credits');
      const apiKey = execution.byom && execution.providerKey
        ? await dataKeys.open(ENCRYPTED_COLUMNS.providerKey, execution.providerKey.id, execution.providerKey.userId, execution.providerKey.keyCiphertext)
        : config.OPENAI_API_KEY;
      if (!apiKey) throw permanent('model_not_configured', 'no platform model key is configured');
      const prompt = renderPrompt(template, inputs);
      // Admission measured this prompt; refuse here too, in case limits changed since (no unbounded prompt is ever sent).
      if (prompt.length > config.MAX_PROMPT_CHARS) throw permanent('prompt_too_large', 'the prompt is larger than MAX_PROMPT_CHARS');

      const client = new OpenAI({ apiKey, baseURL: config.OPENAI_BASE_URL, maxRetries: 0, timeout: config.MODEL_TIMEOUT });
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      const calledAt = Date.now();
      try {
        completion = await client.chat.completions.create({
          model: execution.model,
          messages: [{ role: 'user', content: prompt }],
          max_tokens: config.MODEL_MAX_OUTPUT_TOKENS,
        });
      } catch (err) {
        const failure = classifyModelError(err, config.MODEL_TIMEOUT, Date.now() - calledAt);
        logger.warn({ executionId, failureType: failure.type }, 'model call failed');
        throw failure;
      }
      const output = completion.choices[0]?.message?.content ?? '';
      const usage = { promptTokens: completion.usage?.prompt_tokens ?? 0, completionTokens: completion.usage?.completion_tokens ?? 0 };
      // Only a run still running keeps its output: a run cancelled (or failed) meanwhile was settled
      // without a charge, so an answer arriving late is dropped, never shown for free.
      const outputCiphertext = await dataKeys.seal(ENCRYPTED_COLUMNS.executionOutput, executionId, execution.userId, output);
      const stored = await sql.query({
        name: 'executions.store-output',
        text: `UPDATE executions SET output_ciphertext = $2, prompt_tokens = $3, completion_tokens = $4 WHERE id = $1::uuid AND status = 'running'`,
        values: [executionId, outputCiphertext, usage.promptTokens, usage.completionTokens],
      });
      if (stored.rowCount === 0) {
        logger.info({ executionId }, 'model answered after the run ended; output dropped');
        throw permanent('execution_finished', 'the run ended before the model answered');
      }
      return { ...usage, costCredits: costOfRun(execution.pricing, usage) };
    },

    /**
     * Charges the run what it cost and releases the rest of its hold: its token usage at the
     * price stored on its record at admission (a BYOM run pays its held platform fee), never
     * more than the hold. The model call answers that cost with the usage; a usage recorded before
     * it did is priced here. `actual` is what runs scheduled before prices were stored passed in.
     */
    async captureCredits(input: { executionId: string; usage?: ModelCallResult; actual?: number }) {
      return refusalsAsFailures(async () => {
        let actual = input.actual ?? input.usage?.costCredits;
        if (actual === undefined) {
          const { rows } = await sql.query<{ byom: boolean; reserved_credits: number; credits_per_1k_input_tokens: number | null; credits_per_1k_output_tokens: number | null; model: string }>({
            name: 'executions.price',
            text: 'SELECT byom, reserved_credits, credits_per_1k_input_tokens, credits_per_1k_output_tokens, model FROM executions WHERE id = $1::uuid',
            values: [input.executionId],
          });
          const execution = rows[0];
          if (!execution) throw permanent('execution_not_found', 'no such execution');
          actual = costOfRun(
            {
              byom: execution.byom,
              reservedCredits: execution.reserved_credits,
              creditsPer1kInputTokens: execution.credits_per_1k_input_tokens,
              creditsPer1kOutputTokens: execution.credits_per_1k_output_tokens,
              model: execution.model,
            },
            input.usage ?? { promptTokens: 0, completionTokens: 0 },
          );
        }
        return ledger.capture(input.executionId, actual);
      });
    },

    /** A run refused at admission keeps nothing: its record (and the encrypted inputs in it) is deleted. Idempotent. */
    async discardRefusedExecution(executionId: string) {
      await prisma.execution.deleteMany({ where: { id: executionId, status: { in: ['pending', 'running'] }, outputCiphertext: null } });
    },

    /**
     * Records the run's end. A failed run keeps no output (nothing is charged for it). A record
     * deleted meanwhile (its retention expired while the run was still going) stays deleted.
     */
    async finishExecution(input: { executionId: string; status: 'succeeded' | 'failed'; costCredits: number; errorCode?: string; errorMessage?: string }) {
      await sql.query({
        name: 'executions.finish',
        text: `UPDATE executions
                  SET status = $2::"ExecutionStatus", cost_credits = $3, finished_at = now(), error_code = $4, error_message = $5,
                      output_ciphertext = CASE WHEN $2::"ExecutionStatus" = 'failed' THEN NULL ELSE output_ciphertext END
                WHERE id = $1::uuid`,
        values: [input.executionId, input.status, input.costCredits, input.errorCode ?? null, input.errorMessage ?? null],
      });
    },
  };
  return {
    ...activities,

    /**
     * Admission, one local activity of runToolWorkflowV2: marks the run as running and holds its
     * price (none for a run that holds nothing). Both halves are idempotent, so a retry after a crash
     * holds once; a refusal (no credits, account under review) fails with its code, not retried.
     */
    async admitExecution(executionId: string): Promise<RunPlan> {
      const plan = await activities.startExecution(executionId);
      if (plan.reservedCredits > 0) {
        await refusalsAsFailures(() => ledger.reserve({ accountId: plan.accountId, executionId, amount: plan.reservedCredits, toolId: plan.toolId }));
      }
      return plan;
    },

    /**
     * Settlement of a run whose model answered, one local activity of runToolWorkflowV2: captures
     * its cost (as the model call priced it, at the price stored on its record), releases the rest of the hold
     * and records it succeeded. Each half is idempotent: a retry captures once.
     */
    async settleExecution(input: { executionId: string; usage: ModelCallResult; held: number }): Promise<{ costCredits: number }> {
      const costCredits = input.held > 0 ? (await activities.captureCredits({ executionId: input.executionId, usage: input.usage })).captured : 0;
      await activities.finishExecution({ executionId: input.executionId, status: 'succeeded', costCredits });
      return { costCredits };
    },
  };
}
