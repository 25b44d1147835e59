// Erasure of an account (SPEC feature 7, API "Privacy rights"): a grace period
// in which the user may cancel, then the steps, each an idempotent activity
// retried until it succeeds; if one still fails at the warning point (day 25
// by default) the DPO is alerted and the request marked at risk, well before
// the 30-day deadline. What is erased is decided by the register of personal
// data (src/privacy/register.ts), read by the eraseData activity: a new table
// in the register is erased without a change here.
import { CancellationScope, condition, isCancellation, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { cancelErasureSignal, erasurePhaseQuery, type ErasureInput, type ErasureOutcome, type ErasurePhase } from './contract';

// Steps retry until they succeed (the deadline is watched by the warning timer, not by giving up).
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1h' },
});
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '1h' },
});

export async function erasureWorkflow(input: ErasureInput): Promise<ErasureOutcome> {
  const { requestId } = input;
  const startedAt = Date.now(); // workflow time: deterministic on replay
  let phase: ErasurePhase = 'grace';
  let cancelRequested = false;
  setHandler(erasurePhaseQuery, () => phase);
  setHandler(cancelErasureSignal, () => {
    cancelRequested = true;
  });

  if (input.graceMs > 0) await condition(() => cancelRequested, input.graceMs);
  // The database decides between a cancel and the start, in one transaction: a cancel that lost
  // the race answered 409 erasure_in_progress; one that won leaves nothing to do.
  if ((await quick.beginErasure(requestId)) === 'cancelled') {
    phase = 'cancelled';
    return { status: 'cancelled' };
  }
  phase = 'erasing';

  const warning = new CancellationScope();
  const watch = warning
    .run(async () => {
      const wait = startedAt + input.warnAfterMs - Date.now();
      if (wait > 0) await sleep(wait);
      await quick.alertDpoErasureAtRisk(requestId);
    })
    .catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });

  await steps.stopUserExecutions(requestId);
  await quick.destroyUserDataKey(requestId);
  const counts = await steps.eraseUserData(requestId);
  await quick.deleteUserAccount(requestId);
  await quick.sendErasureConfirmation(requestId);
  await quick.completeErasure(requestId, counts);

  warning.cancel();
  await watch;
  phase = 'completed';
  return { status: 'completed', counts };
}
