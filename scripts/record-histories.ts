// Records one history per workflow type into test/fixtures/histories/, for the
// replay test (test/temporal/replay.test.ts). Re-record when a workflow's
// shape changes ON PURPOSE, and keep the old files: a running workflow started
// under the old code must still replay (use patched() to change it).
//   npm run record-histories
// Activities are typed stand-ins (no database); the default data converter is
// used, so the fixtures hold no ciphertext and need no key.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../src/activities';
import { clawBackCreditsWorkflow, purchaseCreditsWorkflow, releaseExpiredReservationsWorkflow } from '../src/workflows/credits';
import { ROOT, temporalBinary } from './lib/temporal-binaries';
import { freePort, startTemporalDevServer } from './lib/dev-services';

const OUT = path.join(ROOT, 'test', 'fixtures', 'histories');

const standIns: Pick<Activities, 'creditPurchase' | 'applyClawbacks' | 'releaseExpiredReservations'> = {
  async creditPurchase() {
    return { credited: true, credits: 100 };
  },
  async applyClawbacks() {
    return { applied: 40, pending: false };
  },
  async releaseExpiredReservations() {
    return 3;
  },
};

async function main() {
  const server = await startTemporalDevServer({ port: await freePort(), headless: true });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  try {
    const taskQueue = `record-${randomUUID()}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../src/workflows'),
      activities: standIns,
    });
    const runs = [
      { name: 'purchaseCreditsWorkflow', fn: purchaseCreditsWorkflow, args: ['cs_test_recorded'] as [string] },
      { name: 'clawBackCreditsWorkflow', fn: clawBackCreditsWorkflow, args: ['pi_test_recorded'] as [string] },
      { name: 'releaseExpiredReservationsWorkflow', fn: releaseExpiredReservationsWorkflow, args: [] as [] },
    ];
    await worker.runUntil(async () => {
      for (const run of runs) {
        const workflowId = `record-${run.name}-${randomUUID()}`;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        await client.workflow.execute(run.fn as any, { taskQueue, workflowId, args: run.args });
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
