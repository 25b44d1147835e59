// Money-moving workflows. Each is a single idempotent activity today; the
// workflow gives it durable retries, a stable id (so duplicate Stripe events
// start nothing new) and visibility in the Temporal UI.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LEDGER_FAILURE_TYPES, type ClawbackOutcome, type PurchaseOutcome } from './contract';

const { creditPurchase, applyClawbacks, releaseExpiredReservations } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2, nonRetryableErrorTypes: [...LEDGER_FAILURE_TYPES] },
});

/** Credits a paid Stripe Checkout exactly once. Workflow id: creditWorkflowIds.purchase(sessionId). */
export async function purchaseCreditsWorkflow(checkoutSessionId: string): Promise<PurchaseOutcome> {
  return creditPurchase(checkoutSessionId);
}

/** Takes back credits after a refund or dispute (a no-op until the purchase is credited, which then applies it). */
export async function clawBackCreditsWorkflow(paymentIntentId: string): Promise<ClawbackOutcome> {
  return applyClawbacks(paymentIntentId);
}

/** Run by a Temporal Schedule: releases holds that outlived RESERVATION_TTL. */
export async function releaseExpiredReservationsWorkflow(): Promise<number> {
  return releaseExpiredReservations();
}
