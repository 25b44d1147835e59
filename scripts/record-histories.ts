// Records one history per workflow type into test/fixtures/histories/, for the
// replay test (test/temporal/replay.test.ts). Re-record when a workflow's
// shape changes ON PURPOSE, and keep the old files: a running workflow started
// under the old code must still replay (use patched() to change it).
//   npm run record-histories                       (every workflow type)
//   npm run record-histories -- <name> [<name> ...]  (only these, e.g. a new workflow's,
//                                                    leaving the other fixtures as they are)
// Activities are typed stand-ins (no database); the default data converter is
// used, so the fixtures hold no ciphertext and need no key.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../src/activities';
import { clawBackCreditsWorkflow, purchaseCreditsWorkflow, releaseExpiredReservationsWorkflow } from '../src/credits/workflows';
import { runToolWorkflow, runToolWorkflowV2 } from '../src/executions/workflows';
import { executionRetentionWorkflow, sweepExpiredExecutionsWorkflow } from '../src/retention/workflows';
import { cleanUpSecurityDataWorkflow } from '../src/security-data/workflows';
import { deliverMailWorkflow, sendMarketingCampaignWorkflow, sendSecurityAlertsWorkflow } from '../src/mail/workflows';
import { erasureWorkflow } from '../src/erasure/workflows';
import { privacyExportWorkflow } from '../src/data-export/workflows';
import { incidentWorkflow } from '../src/incidents/workflows';
import { rollUpUsageWorkflow } from '../src/analytics/workflows';
import { closeIncidentSignal, confirmAuthorityReportSignal } from '../src/incidents/contract';
import { admissionAndOutcomeUpdate, admissionUpdate, outcomeUpdate } from '../src/executions/contract';
import { ROOT, temporalBinary } from './lib/temporal-binaries';
import { freePort, startTemporalDevServer } from './lib/dev-services';

const OUT = path.join(ROOT, 'test', 'fixtures', 'histories');

let modelRejects = false;
let creditsRefused = false;
let marketingSends = 0;
let rollups = 0;

const standIns: Activities = {
  async startExecution() {
    return { accountId: 'acct-recorded', toolId: 'tool-recorded', model: 'gpt-4o-mini', reservedCredits: 10, byom: false };
  },
  async reserveCredits() {
    if (creditsRefused) throw ApplicationFailure.create({ type: 'insufficient_credits', message: 'this run needs 10 credits and 0 are available', nonRetryable: true });
    return { amount: 10, expiresAt: '2026-01-01T00:00:00.000Z' };
  },
  async admitExecution() {
    if (creditsRefused) throw ApplicationFailure.create({ type: 'insufficient_credits', message: 'this run needs 10 credits and 0 are available', nonRetryable: true });
    return { accountId: 'acct-recorded', toolId: 'tool-recorded', model: 'gpt-4o-mini', reservedCredits: 10, byom: false };
  },
  async settleExecution() {
    return { costCredits: 1 };
  },
  async callModel() {
    if (modelRejects) throw ApplicationFailure.create({ type: 'model_rejected_request', message: 'rejected (400)', nonRetryable: true });
    return { promptTokens: 120, completionTokens: 30 };
  },
  async captureCredits() {
    return { captured: 1, released: 9 };
  },
  async releaseCredits() {
    return { captured: 0, released: 10 };
  },
  async finishExecution() {},
  async discardRefusedExecution() {},
  async purgeExecutionData() {
    return { purged: true };
  },
  async sweepExpiredExecutions() {
    return 0;
  },
  async creditPurchase() {
    return { credited: true, credits: 100 };
  },
  async applyClawbacks() {
    return { applied: 40, pending: false };
  },
  async releaseExpiredReservations() {
    return 3;
  },
  async cleanUpSecurityData() {
    return { sessions: 4, apiTokens: 1, securityEvents: 2, rateLimitKeys: 30, loginContexts: 1, reauthCodes: 0 };
  },
  async sendSecurityAlerts() {
    return { queued: 2, sent: 2 };
  },
  async beginErasure() {
    return 'started' as const;
  },
  async stopUserExecutions() {
    return 1;
  },
  async destroyUserDataKey() {},
  async eraseUserData() {
    return { executions: { deleted: 3 }, ledger_entries: { updated: 6 } };
  },
  async deleteUserAccount() {},
  async sendErasureConfirmation() {
    return 'sent' as const;
  },
  async completeErasure() {},
  async alertDpoErasureAtRisk() {
    return 1;
  },
  // Two batches of each kind, so the recording covers the loops.
  async queueMarketingMail(_campaignId: string, after: string | null) {
    return after === null ? { queued: 200, nextAfter: '00000000-0000-4000-8000-0000000000c8' } : { queued: 3, nextAfter: null };
  },
  async sendMarketingMail() {
    marketingSends += 1;
    return marketingSends % 2 === 1 ? { sent: 199, discarded: 1, more: true } : { sent: 3, discarded: 0, more: false };
  },
  async finishMarketingCampaign() {},
  async deliverMail() {
    return 'sent';
  },
  async beginExport() {
    return true;
  },
  async writeExport() {
    return { expiresAt: new Date(Date.now() + 300).toISOString() };
  },
  async deleteExportFile() {
    return { chunks: 3 };
  },
  async failExport() {},
  // An incident: two resolution batches, a notify pass, escalation and deadline (both soon), a report confirmed, closed.
  async recordIncident(input: { id: string }) {
    const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
    return { id: input.id, notifyBy: soon(600), escalations: [{ label: '24h', at: soon(200) }], continueAsNewAfterEvents: 5000 };
  },
  async resolveAffectedUsers(_id: string, _selector: unknown, after: string | null) {
    return after === null ? { added: 5000, nextAfter: '00000000-0000-4000-8000-000000001388' } : { added: 12, nextAfter: null };
  },
  async finishIncidentResolution() {},
  async addIncidentUsers() {
    return 1;
  },
  async markAuthorityReportPrepared() {},
  async deliverIncidentMail(id: string) {
    return { sent: 5012, failed: 0, more: false, status: await standIns.incidentStatus(id, 0) };
  },
  async incidentStatus(id: string) {
    return {
      id,
      workflowId: `incident-${id}`,
      status: 'waiting' as const,
      discoveredAt: '2026-01-01T00:00:00.000Z',
      notifyBy: '2026-01-04T00:00:00.000Z',
      hoursLeft: 1,
      version: 1,
      affected: { total: 5012, notified: 5012, failed: 0, pending: 0, corrected: 0 },
      offers: { issued: 0, closed: 0 },
      authorityReport: { status: 'prepared' as const, phases: [] },
      escalations: [],
      retracted: false,
      deadline: null,
      failures: [],
    };
  },
  async confirmIncidentReport() {},
  async updateIncidentScope() {
    return { rescope: false };
  },
  async retractIncident() {},
  async closeIncident() {
    return 'closed' as const;
  },
  async recordIncidentDeadline() {
    return { notify_users: { met: true } };
  },
  async recordIncidentFailure() {},
  // Behind by a day and a half: two calls.
  async rollUpUsage() {
    rollups += 1;
    return rollups % 2 === 1
      ? { hours: 24, hourBuckets: 30, dayBuckets: 1, upTo: '2026-01-02T00:00:00.000Z', more: true }
      : { hours: 12, hourBuckets: 9, dayBuckets: 0, upTo: '2026-01-02T12:00:00.000Z', more: false };
  },
  async escalateIncident() {
    return { pending: ['authority_report'], mailed: 2 };
  },
};

async function main() {
  const server = await startTemporalDevServer({ port: await freePort(), headless: true });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const taskQueue = `record-${randomUUID()}`;
    const toolRun = (name: string, rejects: boolean, refused = false, workflow: typeof runToolWorkflowV2 = runToolWorkflowV2, oneUpdate = false) => ({
      name,
      before: () => {
        modelRejects = rejects;
        creditsRefused = refused;
      },
      execute: async (workflowId: string) => {
        const startWorkflowOperation = new WithStartWorkflowOperation(workflow, {
          workflowId,
          taskQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [
            {
              executionId: `exec-${name}`,
              modelTimeoutMs: 60_000,
              modelAttempts: 4,
              modelRetryInitialMs: 1000,
              expiresAt: new Date(Date.now() + 500).toISOString(),
            },
          ],
        });
        if (oneUpdate) {
          // As the API does now for a caller that waits (waitSeconds): admission and outcome in one update.
          await client.workflow.executeUpdateWithStart(admissionAndOutcomeUpdate, { startWorkflowOperation });
        } else {
          const admission = await client.workflow.executeUpdateWithStart(admissionUpdate, { startWorkflowOperation });
          // As the API did for a caller that waits: the outcome update, then the record's life.
          if (admission.admitted) await client.workflow.getHandle(workflowId).executeUpdate(outcomeUpdate);
        }
        await client.workflow.getHandle(workflowId).result();
      },
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const simple = (name: string, fn: (...args: any[]) => Promise<unknown>, args: unknown[]) => ({
      name,
      before: () => undefined,
      execute: (workflowId: string) => client.workflow.execute(fn, { taskQueue, workflowId, args }),
    });
    const runs = [
      simple('purchaseCreditsWorkflow', purchaseCreditsWorkflow, ['cs_test_recorded']),
      simple('clawBackCreditsWorkflow', clawBackCreditsWorkflow, ['pi_test_recorded']),
      simple('releaseExpiredReservationsWorkflow', releaseExpiredReservationsWorkflow, []),
      simple('executionRetentionWorkflow', executionRetentionWorkflow, [{ executionId: 'exec-recorded', expiresAt: new Date(Date.now() + 300).toISOString() }]),
      simple('sweepExpiredExecutionsWorkflow', sweepExpiredExecutionsWorkflow, []),
      simple('cleanUpSecurityDataWorkflow', cleanUpSecurityDataWorkflow, []),
      simple('sendSecurityAlertsWorkflow', sendSecurityAlertsWorkflow, []),
      // A short grace period, then every step (the warning timer is cancelled when the steps end).
      simple('erasureWorkflow', erasureWorkflow, [
        { requestId: 'request-recorded', graceMs: 300, warnAfterMs: 3_600_000 },
      ]),
      simple('sendMarketingCampaignWorkflow', sendMarketingCampaignWorkflow, ['00000000-0000-4000-8000-00000000ca01']),
      simple('deliverMailWorkflow', deliverMailWorkflow, ['00000000-0000-4000-8000-000000000001']),
      simple('rollUpUsageWorkflow', rollUpUsageWorkflow, []),
      simple('privacyExportWorkflow', privacyExportWorkflow, [{ requestId: 'request-recorded' }]),
      {
        name: 'incidentWorkflow',
        before: () => undefined,
        execute: async (workflowId: string) => {
          const input = {
            id: '00000000-0000-4000-8000-00000000a001',
            title: 'Recorded incident',
            description: 'A recorded run of the saga',
            discoveredAt: new Date(Date.now() - 60_000).toISOString(),
            breachType: 'confidentiality',
            dataCategories: ['email addresses'],
            personalDataExposed: false,
            affected: { all: true },
          };
          const handle = await client.workflow.start(incidentWorkflow, { taskQueue, workflowId, args: [input] });
          await new Promise((resolve) => setTimeout(resolve, 1500)); // past the escalation and the deadline
          await handle.signal(confirmAuthorityReportSignal, { reference: 'DPA-2026-0001', phase: 'initial' });
          await handle.signal(closeIncidentSignal);
          await handle.result();
        },
      },
      toolRun('runToolWorkflowV2-succeeded', false),
      toolRun('runToolWorkflowV2-model-rejected', true),
      toolRun('runToolWorkflowV2-refused', false, true),
      toolRun('runToolWorkflowV2-waited-succeeded', false, false, runToolWorkflowV2, true),
      toolRun('runToolWorkflowV2-waited-refused', false, true, runToolWorkflowV2, true),
      // The runs started before V2, still replaying until their records expire.
      toolRun('runToolWorkflow-succeeded', false, false, runToolWorkflow),
      toolRun('runToolWorkflow-model-rejected', true, false, runToolWorkflow),
      toolRun('runToolWorkflow-refused', false, true, runToolWorkflow),
    ];
    const only = process.argv.slice(2);
    const unknown = only.filter((name) => !runs.some((run) => run.name === name));
    if (unknown.length > 0) throw new Error(`no recording named ${unknown.join(', ')} (known: ${runs.map((run) => run.name).join(', ')})`);
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../src/workflows'),
      activities: standIns,
    });
    await worker.runUntil(async () => {
      for (const run of runs.filter((r) => only.length === 0 || only.includes(r.name))) {
        const workflowId = `record-${run.name}-${randomUUID()}`;
        run.before();
        await run.execute(workflowId);
        // The CLI writes the canonical proto JSON that Worker.runReplayHistories reads.
        const json = execFileSync(temporalBinary('cli'), ['workflow', 'show', '--workflow-id', workflowId, '--address', server.address, '--output', 'json'], {
          encoding: 'utf8',
        });
        writeFileSync(path.join(OUT, `${run.name}.json`), json);
        console.log(`recorded ${run.name}`);
      }
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
