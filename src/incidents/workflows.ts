// Breach response (SPEC feature 10): one saga per incident, from discovery to
// closing, with the 72-hour deadline counted from `discoveredAt`:
//   1. record the incident in the breach register;
//   2. resolve the affected users in batches (the database does the work);
//   3. prepare the authority report (the responder downloads it and confirms
//      its submission with the authority's reference: a signal);
//   4. notify every affected user once per content version, with a
//      credit-monitoring code when personal data was exposed; failed deliveries
//      are retried pass after pass (backing off to hourly) until they succeed;
//   5. escalate to responders and the DPO at each point (24 h, 48 h, 66 h) where
//      something is not done, and at the deadline record each step met or not;
//   6. compensate on re-assessment: a narrowed scope or a retraction sends
//      corrections to those already told and closes offers that no longer apply
//      (a notice sent cannot be unsent); what the saga could not do is recorded.
// It ends when a responder closes the incident. Signals are queued and applied
// in order between steps; the history holds ids, counts and the responder's
// own text only, and continues as new before it grows large.
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ZodType } from 'zod';
import type { Activities } from '../activities';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import {
  DELIVERY_GIVE_UP_AFTER_DEADLINE_MS,
  DISCOVERY_SKEW_MS,
  addAffectedUsersSignal,
  closeIncidentSignal,
  confirmAuthorityReportSignal,
  incidentIdOf,
  incidentStatusQuery,
  retractSignal,
  updateScopeSignal,
  type IncidentCarry,
  type IncidentOutcome,
  type IncidentStart,
  type IncidentStatus,
  type PendingSignal,
} from './contract';
import type * as Inputs from './inputs';

/**
 * The input schemas (zod), loaded when an incident workflow first checks an input, not when this
 * module is: the SDK evaluates every workflow module again for each new workflow of any type, and
 * zod with these schemas cost each tool run about 1.5 ms of the worker's CPU (docs/BENCHMARKS.md,
 * "Tool runs"). The module is bundled like any other and is the same code on every replay.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const inputs = (): typeof Inputs => require('./inputs') as typeof Inputs;

// Steps retry until they succeed: the deadline is watched by the escalations, not by giving up.
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '20s', // batches heartbeat every 5 s: a dead worker's batch moves to another within 20 s
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
});

const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;
const LATE_RETRY_MS = 6 * 3_600_000;

/** The start input, checked: a bad one fails the workflow at once with every problem named. */
function checkedStart(raw: unknown, first: boolean): IncidentStart {
  const { IncidentStart, describeIssues } = inputs();
  const parsed = IncidentStart.safeParse(raw);
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw ApplicationFailure.create({
      type: 'InvalidIncidentInput',
      message: `invalid incident input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      nonRetryable: true,
      details: [issues],
    });
  }
  if (first && Date.parse(parsed.data.discoveredAt) > Date.now() + DISCOVERY_SKEW_MS) {
    throw ApplicationFailure.create({
      type: 'InvalidIncidentInput',
      message: `invalid incident input: discoveredAt: ${parsed.data.discoveredAt} is in the future (the clock starts at discovery)`,
      nonRetryable: true,
    });
  }
  return parsed.data;
}

export async function incidentWorkflow(raw: unknown, carried?: IncidentCarry): Promise<IncidentOutcome> {
  const input = checkedStart(raw, carried === undefined);
  const id = carried?.id ?? input.id ?? incidentIdOf(workflowInfo().workflowId) ?? uuid4();
  const queued: PendingSignal[] = [...(carried?.signals ?? [])];
  let status: IncidentStatus | null = carried?.status ?? null;

  const { AddAffectedUsers, ConfirmAuthorityReport, Retract, UpdateScope, describeIssues } = inputs();
  /** Signal handlers: check the payload, queue it; the main loop applies it between steps. */
  const accept =
    <T>(schema: ZodType<T>, wrap: (input: T) => PendingSignal, name: string) =>
    (payload: unknown) => {
      const parsed = schema.safeParse(payload);
      if (parsed.success) queued.push(wrap(parsed.data));
      else log.warn(`ignored an invalid ${name} signal`, { incidentId: id, issues: describeIssues(parsed.error as never) });
    };
  setHandler(addAffectedUsersSignal, accept(AddAffectedUsers, (i) => ({ kind: 'add', input: i }), 'addAffectedUsers'));
  setHandler(confirmAuthorityReportSignal, accept(ConfirmAuthorityReport, (i) => ({ kind: 'confirm', input: i }), 'confirmAuthorityReport'));
  setHandler(retractSignal, accept(Retract, (i) => ({ kind: 'retract', input: i }), 'retract'));
  setHandler(updateScopeSignal, accept(UpdateScope, (i) => ({ kind: 'update', input: i }), 'updateScope'));
  setHandler(closeIncidentSignal, () => void queued.push({ kind: 'close' }));
  setHandler(incidentStatusQuery, () => status);

  const recorded = carried?.recorded ?? (await steps.recordIncident({ ...input, id }, workflowInfo().workflowId, Date.now()));
  const state: Omit<IncidentCarry, 'signals' | 'status'> = carried ?? {
    id,
    recorded,
    selector: input.affected,
    resolveAfter: null,
    resolving: true,
    pass: 0,
    retryDelayMs: FIRST_RETRY_MS,
    escalated: [],
    deadlineRecorded: false,
    reportPrepared: false,
    gaveUpDelivery: false,
  };
  const notifyBy = Date.parse(recorded.notifyBy);

  let stage = '';
  /** Keeps the status the query shows, and the stage the Temporal UI lists, up to date. */
  function show(fresh: IncidentStatus) {
    status = fresh;
    if (fresh.status !== stage) {
      stage = fresh.status;
      upsertSearchAttributes([
        { key: SEARCH_ATTRIBUTE_KEYS.incidentId, value: id },
        { key: SEARCH_ATTRIBUTE_KEYS.incidentDeadline, value: new Date(notifyBy) },
        { key: SEARCH_ATTRIBUTE_KEYS.incidentStage, value: stage },
      ]);
    }
  }
  const refresh = async () => show(await steps.incidentStatus(id, Date.now()));
  await refresh();

  // Escalation points and the deadline run beside the main loop; `busy` keeps continue-as-new until they are between activities.
  let busy = 0;
  const beside = async (work: () => Promise<void>) => {
    busy += 1;
    try {
      await work();
    } finally {
      busy -= 1;
    }
  };
  for (const point of recorded.escalations) {
    if (state.escalated.includes(point.label)) continue;
    void (async () => {
      await sleep(Math.max(0, Date.parse(point.at) - Date.now()));
      await beside(async () => {
        await steps.escalateIncident(id, point.label, new Date(Date.now()).toISOString());
        state.escalated.push(point.label);
        await refresh();
      });
    })();
  }
  if (!state.deadlineRecorded) {
    void (async () => {
      await sleep(Math.max(0, notifyBy - Date.now()));
      await beside(async () => {
        await steps.recordIncidentDeadline(id);
        state.deadlineRecorded = true;
        await refresh();
      });
    })();
  }

  /** Applies the queued signals in order; true once the incident is closed. */
  async function applySignals(): Promise<boolean> {
    while (queued.length > 0) {
      const signal = queued.shift() as PendingSignal;
      switch (signal.kind) {
        case 'add':
          await steps.addIncidentUsers(id, signal.input.userIds);
          break;
        case 'confirm':
          await steps.confirmIncidentReport(id, signal.input, Date.now());
          break;
        case 'retract':
          await steps.retractIncident(id, signal.input.reason);
          break;
        case 'update':
          if ((await steps.updateIncidentScope(id, signal.input)).rescope && signal.input.affected) {
            state.selector = signal.input.affected;
            state.resolving = true;
            state.resolveAfter = null;
          }
          break;
        case 'close':
          if ((await steps.closeIncident(id)) === 'closed') return true;
          log.warn('close refused: users still wait for a notice or the initial authority report is not confirmed', { incidentId: id });
          break;
      }
      state.retryDelayMs = FIRST_RETRY_MS; // something changed: the next pass comes at once
    }
    return false;
  }

  const continueIfLong = async () => {
    if (workflowInfo().historyLength < recorded.continueAsNewAfterEvents && !workflowInfo().continueAsNewSuggested) return;
    await condition(() => busy === 0);
    await continueAsNew<typeof incidentWorkflow>(input, { ...state, signals: [...queued], status });
  };

  for (;;) {
    if (await applySignals()) break;

    if (state.resolving) {
      const batch = await steps.resolveAffectedUsers(id, state.selector, state.resolveAfter);
      state.resolveAfter = batch.nextAfter;
      if (batch.nextAfter === null) {
        await steps.finishIncidentResolution(id);
        state.resolving = false;
        if (!state.reportPrepared) {
          await steps.markAuthorityReportPrepared(id);
          state.reportPrepared = true;
        }
        await refresh();
      }
      await continueIfLong();
      continue;
    }

    // One pass: every recipient due a notice or a correction is tried once.
    state.pass += 1;
    for (let more = true; more; ) {
      if (queued.length > 0) {
        await refresh(); // a signal cut the pass short: apply it first
        break;
      }
      const batch = await steps.deliverIncidentMail(id, state.pass, Date.now(), { notices: !state.gaveUpDelivery });
      if (batch.status) show(batch.status);
      more = batch.more;
    }
    const current = status as IncidentStatus | null;
    const undelivered = (current?.affected.pending ?? 0) + (current?.affected.failed ?? 0);
    const uncorrected = current ? current.affected.corrected < current.affected.notified && current.retracted : false;

    if (undelivered > 0 && !state.gaveUpDelivery && Date.now() > notifyBy + DELIVERY_GIVE_UP_AFTER_DEADLINE_MS) {
      state.gaveUpDelivery = true;
      await steps.recordIncidentFailure(id, 'notify_users', `${undelivered} affected users could not be notified: deliveries kept failing for a week past the deadline`, new Date(Date.now()).toISOString());
      await refresh();
    }
    if ((undelivered > 0 && !state.gaveUpDelivery) || uncorrected) {
      // Some deliveries failed: try again after a back-off (1 min, doubling), or at once on a signal.
      await condition(() => queued.length > 0, state.retryDelayMs);
      // Hourly at most until the deadline; past it (the miss is recorded), every six hours until given up.
      state.retryDelayMs = Math.min(state.retryDelayMs * 2, Date.now() < notifyBy ? MAX_RETRY_MS : LATE_RETRY_MS);
    } else {
      await condition(() => queued.length > 0); // all delivered: wait for the responder (a report, a re-assessment, closing)
    }
    await continueIfLong();
  }

  await condition(() => busy === 0);
  await refresh();
  return { status: 'closed', affected: (status as IncidentStatus | null)?.affected ?? { total: 0, notified: 0, failed: 0, pending: 0, corrected: 0 } };
}
