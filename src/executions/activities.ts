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
import { renderPrompt } from './prompt';
import { costOfRun } from '../tools/pricing';
import type { RunPlan, TokenUsage } from './contract';

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

export function createExecutionActivities({ config, prisma, dataKeys, logger, ledger }: ExecutionActivityDeps) {
  const activities = {
    /** Marks the run as running and says what it needs (credits to hold, whether it is BYOM). */
    async startExecution(executionId: string): Promise<RunPlan> {
      const execution = await prisma.execution.findUnique({ where: { id: executionId } });
      if (!execution) throw permanent('execution_not_found', 'no such execution');
      if (execution.status === 'pending') {
        await prisma.execution.updateMany({ where: { id: executionId }, data: { status: 'running', startedAt: new Date() } });
      }
      return {
        accountId: execution.userId,
        toolId: execution.toolId,
        model: execution.model,
        reservedCredits: execution.reservedCredits,
        byom: execution.byom,
      };
    },

    /** Calls the model and stores the output encrypted. Idempotent: a retry after the output was stored does not call again. */
    async callModel(executionId: string): Promise<TokenUsage> {
      const execution = await prisma.execution.findUnique({
        where: { id: executionId },
        include: { tool: { select: { id: true, creatorId: true, promptCiphertext: true, deletedAt: true } }, providerKey: true },
      });
      if (!execution) throw permanent('execution_not_found', 'no such execution');
      if (execution.outputCiphertext) {
        return { promptTokens: execution.promptTokens ?? 0, completionTokens: execution.completionTokens ?? 0 };
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
      const stored = await prisma.execution.updateMany({
        where: { id: executionId, status: 'running' },
        data: { outputCiphertext, ...usage },
      });
      if (stored.count === 0) {
        logger.info({ executionId }, 'model answered after the run ended; output dropped');
        throw permanent('execution_finished', 'the run ended before the model answered');
      }
      return usage;
    },

    /**
     * Charges the run what it cost and releases the rest of its hold: its token usage at the
     * price stored on its record at admission (a BYOM run pays its held platform fee), never
     * more than the hold. `actual` is what runs scheduled before prices were stored passed in.
     */
    async captureCredits(input: { executionId: string; usage?: TokenUsage; actual?: number }) {
      return refusalsAsFailures(async () => {
        let actual = input.actual;
        if (actual === undefined) {
          const execution = await prisma.execution.findUnique({ where: { id: input.executionId } });
          if (!execution) throw permanent('execution_not_found', 'no such execution');
          actual = costOfRun(execution, input.usage ?? { promptTokens: 0, completionTokens: 0 });
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
      await prisma.execution.updateMany({
        where: { id: input.executionId },
        data: {
          status: input.status,
          costCredits: input.costCredits,
          finishedAt: new Date(),
          errorCode: input.errorCode ?? null,
          errorMessage: input.errorMessage ?? null,
          ...(input.status === 'failed' ? { outputCiphertext: null } : {}),
        },
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
     * its cost (from the price stored on its record and its usage), releases the rest of the hold
     * and records it succeeded. Each half is idempotent: a retry captures once.
     */
    async settleExecution(input: { executionId: string; usage: TokenUsage; held: number }): Promise<{ costCredits: number }> {
      const costCredits = input.held > 0 ? (await activities.captureCredits({ executionId: input.executionId, usage: input.usage })).captured : 0;
      await activities.finishExecution({ executionId: input.executionId, status: 'succeeded', costCredits });
      return { costCredits };
    },
  };
}
