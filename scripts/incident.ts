// Operator command: the breach-response saga from a terminal (docs/INCIDENT_RUNBOOK.md).
//   npm run incident -- start <file.json>
//   npm run incident -- status <id>
//   npm run incident -- confirm-report <id> <reference> [--phase initial|follow_up]
//   npm run incident -- retract <id> --reason "..."
//   npm run incident -- add-users <id> <userId...>
//   npm run incident -- update-scope <id> <file.json>
//   npm run incident -- close <id>
//   npm run incident -- report <id>
//   npm run incident -- list          (incidents not closed, soonest deadline first)
// `start` sends the file as it is (an `id` is added when it has none) to the
// workflow, whose own zod check is the only one: the CLI, the API and the
// Temporal UI accept and refuse the same input, and a refusal is the
// workflow's failure, printed here. The signals go through the API's own
// checks (src/incidents/control.ts): refused here when the API would refuse.
// Needs what the worker needs: DATABASE_URL, DATA_ENCRYPTION_KEYS (the codec),
// EMAIL_INDEX_KEY, RATE_LIMIT_KEY_SECRET, TEMPORAL_* (same task queue).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '@prisma/client';
import { z } from 'zod';
import { loadConfig, type Config } from '../src/config';
import { Keyring } from '../src/crypto/keyring';
import { createTemporalClient } from '../src/client';
import { DomainError } from '../src/errors';
import { incidentStatusQuery, incidentWorkflowId, type IncidentStatus } from '../src/incidents/contract';
import { AddAffectedUsers, ConfirmAuthorityReport, Retract, UpdateScope, describeIssues } from '../src/incidents/inputs';
import { createIncidentControl } from '../src/incidents/control';
import { createIncidents, incidentSettings } from '../src/incidents/service';
import { incidentWorkflow } from '../src/incidents/workflows';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/temporal/search-attributes';
import { runCommand, UsageError } from './lib/cli';

const USAGE = [
  'usage: npm run incident -- start <file.json>',
  '       npm run incident -- status <id>',
  '       npm run incident -- confirm-report <id> <reference> [--phase initial|follow_up]',
  '       npm run incident -- retract <id> --reason "<why>"',
  '       npm run incident -- add-users <id> <userId...>',
  '       npm run incident -- update-scope <id> <file.json>',
  '       npm run incident -- close <id>',
  '       npm run incident -- report <id>',
  '       npm run incident -- list',
  '<id> is the incident id (a UUID), as `start` prints it.',
].join('\n');

/** How long `start` waits for the workflow to record the incident (or to refuse the input). */
const START_WAIT_MS = 30_000;
/** How long a status query may take before the register is read instead (no worker answering). */
const QUERY_WAIT_MS = 10_000;
const HOUR = 3_600_000;

const isUuid = (value: string | undefined): value is string => z.string().uuid().safeParse(value).success;

function parse(argv: string[], options: ParseArgsConfig['options'] = {}) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
}

function incidentId(value: string | undefined): string {
  if (!isUuid(value)) throw new UsageError(`${value === undefined ? 'an incident id is needed' : `not an incident id (a UUID): ${value}`}\n${USAGE}`);
  return value;
}

/** A file named on the command line: relative to where `npm run` was typed (npm runs scripts from the checkout's root). */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(path.resolve(process.env.INIT_CWD ?? process.cwd(), file), 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** The payload checked with the saga's own schema; every problem on its own line. */
function checked<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw new Error(`${what} is not valid:\n${describeIssues(parsed.error).map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
  return parsed.data;
}

/** Hours until notifyBy, one decimal, negative once past. */
const hoursLeft = (notifyBy: string, now = Date.now()) => Math.round(((Date.parse(notifyBy) - now) / HOUR) * 10) / 10;

/** One line for a responder: stage, time left, counts, the report, escalations, what was missed. */
function statusSummary(status: IncidentStatus, now = Date.now()): string {
  const left = hoursLeft(status.notifyBy, now);
  const { total, notified, failed, pending, corrected } = status.affected;
  const report = status.authorityReport.reference ? `authority report ${status.authorityReport.status} (${status.authorityReport.reference})` : `authority report ${status.authorityReport.status}`;
  const parts = [
    `${status.status}${status.retracted && status.status !== 'retracted' ? ' (retracted)' : ''}`,
    left >= 0 ? `${left} h left (notify by ${status.notifyBy})` : `deadline passed ${-left} h ago (${status.notifyBy})`,
    `affected ${total}: ${notified} notified, ${failed} failed, ${pending} pending, ${corrected} corrected`,
    `offers ${status.offers.issued} issued, ${status.offers.closed} closed`,
    report,
    `${status.escalations.length} escalation${status.escalations.length === 1 ? '' : 's'}`,
  ];
  const missed = Object.entries(status.deadline ?? {}).filter(([, outcome]) => !outcome.met);
  if (missed.length > 0) parts.push(`missed at the deadline: ${missed.map(([step]) => step).join(', ')}`);
  if (status.failures.length > 0) parts.push(`${status.failures.length} recorded failure${status.failures.length === 1 ? '' : 's'}`);
  return parts.join('; ');
}

/** The status as JSON, hours left counted now (the saga's copy is as of its last step), then the summary. */
function showStatus(status: IncidentStatus, note?: string): string {
  const now = Date.now();
  const shown = { ...status, hoursLeft: hoursLeft(status.notifyBy, now) };
  return [JSON.stringify(shown, null, 2), ...(note ? [note] : []), statusSummary(status, now)].join('\n');
}

/** A refusal of the API's checks, with the zod issues on their own lines. */
function explained(err: unknown): never {
  if (err instanceof DomainError && Array.isArray(err.details)) {
    const lines = (err.details as { path?: string; message?: string }[]).map((d) => `  - ${d.path ?? ''}: ${d.message ?? ''}`);
    throw new Error(`${err.code}: ${err.message}\n${lines.join('\n')}`);
  }
  throw err;
}

/** Why the start workflow failed, readable: the input's problems one per line. */
function startFailure(err: unknown, workflowId: string): Error {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === 'InvalidIncidentInput') {
    const issues = Array.isArray(cause.details?.[0]) ? (cause.details[0] as { path: string; message: string }[]) : [];
    const lines = issues.length > 0 ? issues.map((i) => `  - ${i.path}: ${i.message}`) : [`  - ${cause.message.replace(/^invalid incident input: /, '')}`];
    return new Error(`the incident was not started: the workflow ${workflowId} refused its input (nothing was recorded, nobody was notified):\n${lines.join('\n')}`);
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(`the workflow ${workflowId} failed: ${message}`);
}

async function start(temporal: Client, config: Config, file: string): Promise<string> {
  const raw = readJson(file);
  // An id is added only where there is an object to add it to; anything else goes as it is, for the workflow to refuse.
  const input = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('id' in raw) ? { ...raw, id: randomUUID() } : raw;
  const given = (input as { id?: unknown } | null)?.id;
  const id = typeof given === 'string' ? given : randomUUID();
  const workflowId = incidentWorkflowId(id);
  let handle;
  try {
    handle = await temporal.workflow.start(incidentWorkflow, { workflowId, taskQueue: config.TEMPORAL_TASK_QUEUE, args: [input] });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new Error(`incident ${id} is already running (workflow ${workflowId}): npm run incident -- status ${id}`, { cause: err });
    }
    throw err;
  }

  // Poll (no long-poll for the result: it would hold the process up to 20 s after the answer).
  const until = Date.now() + START_WAIT_MS;
  while (Date.now() < until) {
    const { status: execution } = await handle.describe();
    if (execution.name !== 'RUNNING') {
      const failure = await handle.result().then(
        () => new Error(`the workflow ${workflowId} ended at once (${execution.name})`),
        (err: unknown) => startFailure(err, workflowId),
      );
      throw failure;
    }
    const status = await temporal.withDeadline(Date.now() + 5_000, () => handle.query(incidentStatusQuery)).catch(() => null);
    if (status) {
      return [`incident ${status.id} started`, `  workflow   ${workflowId}`, `  notify by  ${status.notifyBy} (discoveredAt + BREACH_NOTIFY_DEADLINE)`, showStatus(status)].join('\n');
    }
    await sleep(250);
  }
  throw new Error(
    `incident ${id}: the workflow ${workflowId} started but recorded nothing within ${START_WAIT_MS / 1000} s; ` +
      `is a worker running on task queue "${config.TEMPORAL_TASK_QUEUE}"? It goes on once one is (npm run incident -- status ${id}); ` +
      `if the task queue is wrong, end it (temporal workflow terminate --workflow-id ${workflowId}) and start again`,
  );
}

async function status(temporal: Client, prisma: PrismaClient, config: Config, id: string): Promise<string> {
  const workflowId = incidentWorkflowId(id);
  const handle = temporal.workflow.getHandle(workflowId);
  let reason: string;
  let failed: Error | undefined;
  try {
    const { status: execution } = await handle.describe();
    if (execution.name === 'RUNNING' || execution.name === 'COMPLETED') {
      const current = await temporal.withDeadline(Date.now() + QUERY_WAIT_MS, () => handle.query(incidentStatusQuery));
      if (current) return showStatus(current);
      reason = 'the workflow has not recorded it yet';
    } else if (execution.name === 'FAILED') {
      // Decoded here (the Temporal UI shows "Encoded failure" without the codec).
      failed = startFailure(await handle.result().then(() => undefined, (err: unknown) => err), workflowId);
      reason = failed.message;
    } else {
      reason = `the workflow ${workflowId} is ${execution.name.toLowerCase()}`;
    }
  } catch (err) {
    reason = err instanceof WorkflowNotFoundError ? `no workflow ${workflowId}` : `the workflow did not answer: ${(err as Error).message}`;
  }
  // The register holds the same status (it is what the saga reads): a responder sees it even with no worker running.
  try {
    return showStatus(await createIncidents(prisma, incidentSettings(config)).status(id, Date.now()), `(read from the breach register: ${reason})`);
  } catch (err) {
    if (!(err instanceof DomainError && err.code === 'not_found')) throw err;
    throw failed ?? new Error(`no incident ${id}: ${reason}, and the breach register has no such incident`, { cause: err });
  }
}

/** Open incidents, soonest deadline first: the visibility store's search attributes (what the Temporal UI lists), sorted here (no ORDER BY in SQL visibility stores). */
async function list(temporal: Client): Promise<string> {
  const rows: { deadline: Date; stage: string; id: string; execution: string }[] = [];
  for await (const info of temporal.workflow.list({ query: 'WorkflowType = "incidentWorkflow" AND IncidentStage != "closed"' })) {
    const deadline = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.incidentDeadline);
    const id = info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.incidentId);
    if (!deadline || !id) continue;
    rows.push({ deadline, id, stage: info.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.incidentStage) ?? '?', execution: info.status.name });
  }
  if (rows.length === 0) return 'no open incidents';
  rows.sort((a, b) => a.deadline.getTime() - b.deadline.getTime());
  const now = Date.now();
  const lines = rows.map((r) => {
    const left = hoursLeft(r.deadline.toISOString(), now);
    // A workflow that is not running cannot notify anyone: said on the line itself.
    const alarm = r.execution === 'RUNNING' ? '' : `   WORKFLOW ${r.execution}: nothing more happens until it is started again`;
    return `${r.deadline.toISOString()}  ${String(left).padStart(7)} h  ${r.stage.padEnd(10)}  ${r.id}${alarm}`;
  });
  return [`${'notify by'.padEnd(24)}  ${'h left'.padStart(9)}  ${'stage'.padEnd(10)}  incident`, ...lines].join('\n');
}

runCommand(module, async (prisma, argv) => {
  const [command, ...rest] = argv;
  // Made on first use, once the arguments are known to be right: a usage error needs no configuration.
  let made: { config: Config; temporal: Client } | undefined;
  const deps = () => {
    if (!made) {
      const config = loadConfig();
      made = { config, temporal: createTemporalClient(config, Keyring.parse(config.DATA_ENCRYPTION_KEYS)) };
    }
    return made;
  };
  const control = () => {
    const { config, temporal } = deps();
    return createIncidentControl({ prisma, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, settings: incidentSettings(config) });
  };
  const sent = (signal: string, id: string, payload?: unknown) =>
    `sent ${signal}${payload === undefined ? '' : ` ${JSON.stringify(payload)}`} to ${incidentWorkflowId(id)}; the saga applies it within moments: npm run incident -- status ${id}`;
  try {
    switch (command) {
      case 'start': {
        const { positionals } = parse(rest);
        if (positionals.length !== 1) throw new UsageError(USAGE);
        return await start(deps().temporal, deps().config, positionals[0] as string);
      }
      case 'status': {
        const { positionals } = parse(rest);
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        return await status(deps().temporal, prisma, deps().config, id);
      }
      case 'confirm-report': {
        const { positionals, values } = parse(rest, { phase: { type: 'string', default: 'initial' } });
        if (positionals.length !== 2 || (values.phase !== 'initial' && values.phase !== 'follow_up')) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        const payload = checked(ConfirmAuthorityReport, { reference: positionals[1], phase: values.phase }, 'the confirmation');
        await control().confirmAuthorityReport(id, payload).catch(explained);
        return sent('confirmAuthorityReport', id, payload);
      }
      case 'retract': {
        const { positionals, values } = parse(rest, { reason: { type: 'string' } });
        if (positionals.length !== 1 || values.reason === undefined) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        const payload = checked(Retract, { reason: values.reason }, 'the retraction');
        await control().retract(id, payload).catch(explained);
        return sent('retract', id, payload);
      }
      case 'add-users': {
        const { positionals } = parse(rest);
        if (positionals.length < 2) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        const userIds = positionals.slice(1);
        const bad = userIds.filter((u) => !isUuid(u));
        if (bad.length > 0) throw new UsageError(`not user ids (UUIDs): ${bad.join(', ')}\n${USAGE}`);
        const payload = checked(AddAffectedUsers, { userIds }, 'the list of users');
        await control().addAffectedUsers(id, payload).catch(explained);
        return sent('addAffectedUsers', id, payload);
      }
      case 'update-scope': {
        const { positionals } = parse(rest);
        if (positionals.length !== 2) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        const payload = checked(UpdateScope, readJson(positionals[1] as string), `the re-assessment in ${positionals[1]}`);
        await control().updateScope(id, payload).catch(explained);
        return sent('updateScope', id, payload);
      }
      case 'close': {
        const { positionals } = parse(rest);
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        await control().close(id).catch(explained);
        return sent('close', id);
      }
      case 'report': {
        const { positionals } = parse(rest);
        if (positionals.length !== 1) throw new UsageError(USAGE);
        const id = incidentId(positionals[0]);
        const report = await createIncidents(prisma, incidentSettings(deps().config)).authorityReport(id, Date.now());
        return JSON.stringify(report, null, 2);
      }
      case 'list': {
        const { positionals } = parse(rest);
        if (positionals.length !== 0) throw new UsageError(USAGE);
        return await list(deps().temporal);
      }
      default:
        throw new UsageError(USAGE);
    }
  } finally {
    await made?.temporal.connection.close();
  }
});
