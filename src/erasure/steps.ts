// The erasure's steps, as the workflow runs them (each an activity). Every step
// is idempotent: it reads the erasure's record (erasure_requests) and does what
// is left, so a retry, a restarted worker or a replayed workflow never erases
// twice or fails on what an earlier attempt already did.
import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PrismaClient } from '@prisma/client';
import { ENCRYPTED_COLUMNS } from '../crypto/columns';
import type { DataKeys } from '../crypto/data-keys';
import type { Ledger } from '../credits/ledger';
import type { MailService } from '../mail/service';
import type { Profiles } from '../accounts/profile';
import type { PrivacyRequests } from '../privacy/requests';
import { executionWorkflowId } from '../executions/contract';
import { endRecordTimer } from '../retention/service';
import { eraseRegisteredData } from './engine';
import type { ErasureCounts } from './contract';

export interface ErasureStepDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  ledger: Ledger;
  mail: MailService;
  profiles: Profiles;
  requests: PrivacyRequests;
  temporal: Client;
  /** Called while a long step makes progress (the activity's heartbeat). */
  heartbeat?: (detail?: unknown) => void;
}

/** SHA-256 of the user id: names the account's erasure workflow without naming the account. */
export const userIdDigest = (userId: string) => createHash('sha256').update(userId).digest('hex').slice(0, 32);

const RECIPIENT = ENCRYPTED_COLUMNS.erasureRecipient;

/** Ends Temporal work for many ids at a bounded concurrency, ignoring workflows already gone. */
async function forEachWorkflow(ids: string[], act: (id: string) => Promise<unknown>, heartbeat?: (d?: unknown) => void, concurrency = 16) {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++] as string;
      try {
        await act(id);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      if (next % 200 === 0) heartbeat?.(next);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
}

export function createErasureSteps(deps: ErasureStepDeps) {
  const { prisma, dataKeys, ledger, mail, profiles, requests, temporal } = deps;

  async function erasure(requestId: string) {
    return prisma.erasureRequest.findUniqueOrThrow({ where: { requestId } });
  }

  return {
    /**
     * The end of the grace period: unless the user cancelled, the request is running, log-in is
     * refused and every session and token of the account is gone. One transaction, so a cancel
     * either happened before (→ 'cancelled') or is refused after (409 erasure_in_progress).
     */
    async begin(requestId: string): Promise<'cancelled' | 'started'> {
      return prisma.$transaction(async (tx) => {
        const [request] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM privacy_requests WHERE id = ${requestId}::uuid FOR UPDATE`;
        if (!request || request.status === 'cancelled') return 'cancelled';
        const { userId } = await tx.erasureRequest.findUniqueOrThrow({ where: { requestId } });
        if (request.status === 'pending') await requests.start(requestId, tx);
        if (userId) {
          await tx.user.updateMany({ where: { id: userId, erasureStartedAt: null }, data: { erasureStartedAt: new Date() } });
          await tx.session.deleteMany({ where: { userId } });
          await tx.apiToken.deleteMany({ where: { userId } });
        }
        return 'started';
      });
    },

    /**
     * Cancels the account's runs still in flight (each run's workflow releases its own hold when
     * cancelled) and waits until none is left; then releases any hold still open. Throws, to be
     * retried, while runs are still ending.
     */
    async stopExecutions(requestId: string): Promise<number> {
      const { userId } = await erasure(requestId);
      if (!userId) return 0;
      const inFlight = await prisma.execution.findMany({ where: { userId, status: { in: ['pending', 'running'] } }, select: { id: true } });
      await forEachWorkflow(inFlight.map((e) => e.id), (id) => temporal.workflow.getHandle(executionWorkflowId(id)).cancel(), deps.heartbeat);
      const still = await prisma.execution.count({ where: { userId, status: { in: ['pending', 'running'] } } });
      if (still > 0) throw ApplicationFailure.retryable(`${still} run(s) of the account are still ending`, 'executions_still_running');
      for (const hold of await prisma.creditReservation.findMany({ where: { accountId: userId, state: 'held' }, select: { executionId: true } })) {
        try {
          await ledger.release(hold.executionId);
        } catch (err) {
          if ((err as { code?: string }).code !== 'reservation_settled') throw err;
        }
      }
      return inFlight.length;
    },

    /** Crypto-shredding: the user's data key is destroyed before anything else is deleted. */
    async destroyDataKey(requestId: string): Promise<void> {
      const { userId } = await erasure(requestId);
      if (userId) await dataKeys.destroy(userId);
    },

    /** Ends the runs' retention timers, then erases every registered table in one transaction. */
    async eraseData(requestId: string): Promise<ErasureCounts> {
      const { userId, pseudonym } = await erasure(requestId);
      if (!userId) return {};
      // Each run's timer is ended first (it deletes its record as it ends), then everything is erased at once.
      const executions = await prisma.execution.findMany({ where: { userId }, select: { id: true } });
      await forEachWorkflow(executions.map((e) => e.id), (id) => endRecordTimer(temporal, id), deps.heartbeat);
      const counts = await prisma.$transaction(
        async (tx) => {
          // Deleting a tool destroys its prompt at once (as DELETE /v1/tools/:id does); the register blanks the rest.
          await tx.tool.updateMany({ where: { creatorId: userId, deletedAt: null }, data: { deletedAt: new Date() } });
          return eraseRegisteredData(tx, userId, pseudonym);
        },
        { timeout: 10 * 60_000, maxWait: 60_000 },
      );
      // The certificate counts the runs whose timers deleted them a moment ago too.
      if (executions.length > (counts.executions?.deleted ?? 0)) counts.executions = { deleted: executions.length };
      return counts;
    },

    /** The account row goes last (its key row with it); the erasure's record keeps no user id. */
    async deleteAccount(requestId: string): Promise<void> {
      const { userId } = await erasure(requestId);
      if (userId) await prisma.user.deleteMany({ where: { id: userId } });
    },

    /**
     * The confirmation, to the address captured at request time: queued once (the outbox row's id
     * is the request's), the captured address destroyed in the same transaction, then sent.
     */
    async sendConfirmation(requestId: string): Promise<'sent' | 'already_sent' | 'discarded' | 'no_smtp'> {
      await prisma.$transaction(async (tx) => {
        // Lock the row (Prisma's raw queries cannot return bytea), then read it.
        await tx.$queryRaw`SELECT request_id FROM erasure_requests WHERE request_id = ${requestId}::uuid FOR UPDATE`;
        const row = await tx.erasureRequest.findUniqueOrThrow({ where: { requestId } });
        if (!row.recipientCiphertext) return;
        const recipient = dataKeys.keyring.open(RECIPIENT, requestId, row.recipientCiphertext);
        await mail.enqueueWithoutAccount(
          { id: requestId, purpose: 'erasure_confirmation', dedupeKey: requestId, recipient, data: { requestId, completedAt: new Date().toISOString() } },
          tx,
        );
        await tx.erasureRequest.update({ where: { requestId }, data: { recipientCiphertext: null } });
      });
      return mail.send(requestId);
    },

    /** The certificate (no personal data) and the request completed, together. */
    async complete(requestId: string, counts: ErasureCounts): Promise<void> {
      const { pseudonym } = await erasure(requestId);
      await prisma.$transaction(async (tx) => {
        const request = await tx.privacyRequest.findUniqueOrThrow({ where: { id: requestId } });
        await tx.erasureCertificate.createMany({
          data: [{ requestId, pseudonym, categories: counts, requestedAt: request.createdAt }],
          skipDuplicates: true,
        });
        if (request.status !== 'completed') await requests.complete(requestId, tx);
      });
    },

    /** A step is still failing at the warning point: the request is marked at risk and every DPO is mailed. */
    async alertDpo(requestId: string): Promise<number> {
      const request = await prisma.privacyRequest.findUniqueOrThrow({ where: { id: requestId } });
      await requests.markAtRisk(requestId);
      const officers = await prisma.user.findMany({ where: { roles: { has: 'dpo' }, erasureStartedAt: null } });
      for (const officer of officers) {
        const { email } = await profiles.open(officer);
        const id = await mail.enqueue({
          userId: officer.id,
          purpose: 'erasure_at_risk',
          dedupeKey: requestId,
          recipient: email,
          data: { requestId, dueAt: request.dueAt.toISOString() },
        });
        await mail.send(id);
      }
      return officers.length;
    },
  };
}

export type ErasureSteps = ReturnType<typeof createErasureSteps>;
