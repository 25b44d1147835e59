// Starting the delivery of one queued mail from the API (client side of
// deliverMailWorkflow): for mail the user is waiting for, sent at once rather
// than at the next tick of the security-alert schedule, which stays the safety
// net when Temporal cannot be reached.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { mailDeliveryWorkflowId } from './contract';
import { deliverMailWorkflow } from './workflows';

export type StartMailDelivery = (outboxId: string) => Promise<void>;

/** Starts the delivery of a committed outbox row; never fails the caller (the schedule sends what this could not). */
export function mailDelivery(temporal: Client, taskQueue: string, logger: Logger): StartMailDelivery {
  return async (outboxId) => {
    try {
      await temporal.workflow.start(deliverMailWorkflow, { workflowId: mailDeliveryWorkflowId(outboxId), taskQueue, args: [outboxId] });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return; // already on its way
      logger.warn({ err, outboxId }, 'could not start the mail delivery: the security-alert schedule will send it');
    }
  };
}
