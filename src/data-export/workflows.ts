// The export of one user's data, one workflow per request (id privacy-export-<request id>):
// mark the request running, write the file (sealed chunks, heartbeating), complete the
// request, then sleep until the download link expires and delete the file. A durable
// timer: a worker or server restart in between changes nothing. The history holds the
// request id and dates only.
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ExportInput, ExportResult } from './contract';

const { beginExport, deleteExportFile, failExport } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '5m' }, // retried until it succeeds: the file must go
});

const { writeExport } = proxyActivities<Activities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m', // one heartbeat per page of rows read
  retry: { initialInterval: '5s', maximumInterval: '5m', maximumAttempts: 10 },
});

export async function privacyExportWorkflow(input: ExportInput): Promise<ExportResult> {
  if (!(await beginExport(input.requestId))) return { outcome: 'skipped' };
  let expiresAt: string;
  try {
    ({ expiresAt } = await writeExport(input.requestId));
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const code = err.cause instanceof ApplicationFailure && err.cause.type ? err.cause.type : 'export_failed';
    await failExport(input.requestId, code);
    return { outcome: 'failed' };
  }
  // Date.now() is Temporal's deterministic workflow clock here.
  const remaining = Date.parse(expiresAt) - Date.now();
  if (remaining > 0) await sleep(remaining);
  await deleteExportFile(input.requestId);
  return { outcome: 'deleted', expiresAt };
}
