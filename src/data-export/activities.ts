// Activities of the export workflow. Each is safe to retry: the request moves
// pending → running once; writing starts over from chunk 0 (the chunks of an
// earlier attempt are deleted first) and is skipped once the file is recorded;
// deleting the file and failing the request are idempotent.
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { PrismaClient } from '@prisma/client';
import type { Config } from '../config';
import { DataKeyDestroyedError, type DataKeys } from '../crypto/data-keys';
import type { Logger } from '../logger';
import { createPrivacyRequests } from '../privacy/requests';
import { EXPORT_FORMAT_VERSION } from './plan';
import { chunkWriter, deleteChunks } from './store';
import { writeExportFile } from './writer';

export interface ExportActivityDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  logger: Logger;
  config: Pick<Config, 'EXPORT_LINK_TTL' | 'PRIVACY_REQUEST_DEADLINE'>;
}

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function createExportActivities({ prisma, dataKeys, logger, config }: ExportActivityDeps) {
  const requests = createPrivacyRequests(prisma, { deadlineMs: config.PRIVACY_REQUEST_DEADLINE });

  return {
    /** Marks the request running; false when it is no longer one to carry out (closed meanwhile). */
    async beginExport(requestId: string): Promise<boolean> {
      const { count } = await prisma.privacyRequest.updateMany({ where: { id: requestId, type: 'export', status: 'pending' }, data: { status: 'running' } });
      if (count === 1) return true;
      const request = await requests.byId(requestId);
      return request?.type === 'export' && request.status === 'running'; // a retry after the update committed
    },

    /**
     * Gathers the user's data into the export file, sealed chunk by chunk, then records the
     * file and completes the request in one transaction. Heartbeats after each page read.
     */
    async writeExport(requestId: string): Promise<{ expiresAt: string }> {
      const done = await prisma.dataExport.findUnique({ where: { requestId } });
      if (done) return { expiresAt: done.expiresAt.toISOString() };
      const request = await requests.byId(requestId);
      if (!request?.userId) throw permanent('account_erased', 'the account of this export request no longer exists');
      const userId = request.userId;

      await deleteChunks(prisma, requestId); // an earlier attempt's chunks: start over
      const started = Date.now();
      const sink = chunkWriter(prisma, dataKeys, { requestId, userId });
      try {
        await writeExportFile(prisma, dataKeys, { userId, requestId, exportedAt: new Date(), onPage: () => heartbeat() }, sink.write);
      } catch (err) {
        if (err instanceof DataKeyDestroyedError) throw permanent('data_key_destroyed', 'the account was erased: its data can no longer be read');
        throw err;
      }
      const file = await sink.finish();
      const expiresAt = new Date(Date.now() + config.EXPORT_LINK_TTL);
      await prisma.$transaction(async (tx) => {
        await tx.dataExport.create({
          data: { requestId, userId, formatVersion: EXPORT_FORMAT_VERSION, sizeBytes: file.sizeBytes, chunkCount: file.chunkCount, sha256: file.sha256, expiresAt },
        });
        await requests.complete(requestId, tx);
      });
      logger.info({ requestId, sizeBytes: file.sizeBytes, chunks: file.chunkCount, durationMs: Date.now() - started }, 'data export made');
      return { expiresAt: expiresAt.toISOString() };
    },

    /** At the link's expiry: the file's chunks are deleted; the row describing it stays, marked, without the hash. */
    async deleteExportFile(requestId: string): Promise<{ chunks: number }> {
      const chunks = await deleteChunks(prisma, requestId);
      await prisma.dataExport.updateMany({ where: { requestId, deletedAt: null }, data: { deletedAt: new Date(), sha256: null } });
      return { chunks };
    },

    /** The file could not be made: whatever was written is deleted and the request failed with the reason. */
    async failExport(requestId: string, failureCode: string): Promise<void> {
      await deleteChunks(prisma, requestId);
      await prisma.privacyRequest.updateMany({ where: { id: requestId, status: { in: ['pending', 'running'] } }, data: { status: 'failed', failureCode, completedAt: new Date() } });
    },
  };
}
