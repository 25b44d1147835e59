// Erasure requests from the API side: asking (with the confirmation address
// captured under the keyring, and the workflow started, or joined when one is
// open) and cancelling within the grace period. The work itself is the
// erasure workflow's (./workflows.ts, ./steps.ts).
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { DataKeys } from '../crypto/data-keys';
import { DomainError, notFound } from '../errors';
import type { Profiles } from '../accounts/profile';
import type { PrivacyRequests } from '../privacy/requests';
import { cancelErasureSignal, erasureWorkflowId, type ErasureInput } from './contract';
import { userIdDigest } from './steps';

export interface ErasureSettings {
  graceMs: number;
  deadlineMs: number;
  /** A step still failing this long after the request alerts the DPO (before deadlineMs). */
  warningMs: number;
  taskQueue: string;
}

export interface ErasureServiceDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  profiles: Profiles;
  requests: PrivacyRequests;
  temporal: Client;
  settings: ErasureSettings;
}

export function createErasureService({ prisma, dataKeys, profiles, requests, temporal, settings }: ErasureServiceDeps) {
  async function startWorkflow(userId: string, requestId: string, graceEndsAt: Date, createdAt: Date) {
    const now = Date.now();
    const input: ErasureInput = {
      requestId,
      graceMs: Math.max(0, graceEndsAt.getTime() - now),
      warnAfterMs: Math.max(0, createdAt.getTime() + settings.warningMs - now),
    };
    // The erasure workflow is imported by name: the API does not bundle workflow code.
    await temporal.workflow.start('erasureWorkflow', {
      taskQueue: settings.taskQueue,
      workflowId: erasureWorkflowId(userIdDigest(userId)),
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [input],
    });
  }

  return {
    /**
     * Opens an erasure request, or returns the one already open (a second request joins the
     * first). `created` says which. The workflow is started (or found) every time, so a request
     * whose start failed (Temporal briefly down) is started by the retry.
     */
    async request(userId: string, options: { channel?: 'api' | 'email'; openedBy?: string } = {}) {
      const result = await prisma.$transaction(async (tx) => {
        // One request at a time per account: the account row is the lock.
        const [user] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        if (!user) throw notFound('user');
        const open = await requests.openOfType(userId, 'erasure', tx);
        if (open) {
          const erasure = await tx.erasureRequest.findUniqueOrThrow({ where: { requestId: open.id } });
          return { request: open, graceEndsAt: erasure.graceEndsAt, created: false };
        }
        const now = new Date();
        const request = await requests.open(userId, 'erasure', { ...options, dueAt: new Date(now.getTime() + settings.deadlineMs) }, tx);
        const { email } = await profiles.open(await tx.user.findUniqueOrThrow({ where: { id: userId } }));
        const graceEndsAt = new Date(request.createdAt.getTime() + settings.graceMs);
        await tx.erasureRequest.create({
          data: {
            requestId: request.id,
            userId,
            pseudonym: randomUUID(),
            recipientCiphertext: dataKeys.keyring.seal(ENCRYPTED_COLUMNS.erasureRecipient, request.id, email),
            graceEndsAt,
          },
        });
        return { request, graceEndsAt, created: true };
      });
      await startWorkflow(userId, result.request.id, result.graceEndsAt, result.request.createdAt);
      return { requestId: result.request.id, dueAt: result.request.dueAt, graceEndsAt: result.graceEndsAt, created: result.created };
    },

    /** Cancels the user's erasure while its grace period lasts; 409 erasure_in_progress once it has begun. */
    async cancel(userId: string, requestId: string): Promise<void> {
      const request = await requests.get(userId, requestId);
      if (request.type !== 'erasure') throw notFound('erasure request');
      if (request.status === 'cancelled') return; // cancelling twice changes nothing
      const { count } = await prisma.privacyRequest.updateMany({
        where: { id: requestId, status: 'pending' },
        data: { status: 'cancelled', completedAt: new Date() },
      });
      if (count === 0) throw new DomainError('erasure_in_progress');
      // The address captured for the confirmation is not needed any more.
      await prisma.erasureRequest.update({ where: { requestId }, data: { recipientCiphertext: null } });
      try {
        await temporal.workflow.getHandle(erasureWorkflowId(userIdDigest(userId))).signal(cancelErasureSignal);
      } catch (err) {
        // No workflow to wake (its start failed): the request is cancelled, which is what counts.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}

export type ErasureService = ReturnType<typeof createErasureService>;
