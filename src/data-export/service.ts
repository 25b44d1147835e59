// Data exports (access and portability), the API side: opening an export request and
// starting its workflow, and handing the owner the file while its link lasts. The
// workflow (./workflows.ts) makes the file, offers it until EXPORT_LINK_TTL has
// passed, then deletes it.
import type { PrismaClient, PrivacyRequest } from '@prisma/client';
import type { Client } from '@temporalio/client';
import type { DataKeys } from '../crypto/data-keys';
import { DomainError, notFound } from '../errors';
import type { PrivacyRequests } from '../privacy/requests';
import { exportWorkflowId, type ExportInput } from './contract';
import { readChunks } from './store';
import { privacyExportWorkflow } from './workflows';

export interface ExportServiceDeps {
  prisma: PrismaClient;
  dataKeys: DataKeys;
  requests: PrivacyRequests;
  temporal: Client;
  taskQueue: string;
}

export interface StartExportOptions {
  channel: 'api' | 'email';
  openedBy: string;
}

/** The file a download streams: what it is, and its bytes chunk by chunk. */
export interface ExportDownload {
  requestId: string;
  sizeBytes: number;
  expiresAt: Date;
  chunks(): AsyncGenerator<Buffer>;
}

/** Where the owner downloads an export (relative to the API's origin). */
export const downloadPath = (requestId: string) => `/v1/privacy/exports/${requestId}/download`;

export function createExportService({ prisma, dataKeys, requests, temporal, taskQueue }: ExportServiceDeps) {
  /** The user's export request, or 404 (someone else's, not an export, or none). */
  async function ownExport(userId: string, requestId: string): Promise<PrivacyRequest> {
    const request = await requests.get(userId, requestId);
    if (request.type !== 'export') throw notFound('export');
    return request;
  }

  return {
    /**
     * Opens an export request for the user and starts its workflow. While one is still
     * pending or running, a new request joins it (same request id): one file is made.
     */
    async startExport(userId: string, options: StartExportOptions): Promise<{ requestId: string }> {
      const request = await prisma.$transaction(async (tx) => {
        // The user's row lock makes "is one open? else open one" a single step under concurrent requests.
        await tx.$queryRaw`SELECT 1 FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        return (await requests.openOfType(userId, 'export', tx)) ?? requests.open(userId, 'export', options, tx);
      });
      try {
        await temporal.workflow.start(privacyExportWorkflow, {
          workflowId: exportWorkflowId(request.id),
          taskQueue,
          args: [{ requestId: request.id } satisfies ExportInput],
          // Joining an open request starts its workflow if an earlier start was lost, else finds it running.
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      } catch (err) {
        // Not left pending for ever: the request is closed as failed and the client told to retry.
        if (request.status === 'pending') await requests.fail(request.id, 'workflow_start_failed').catch(() => undefined);
        throw err;
      }
      return { requestId: request.id };
    },

    /**
     * The owner's finished export, to stream. Another user's request, or a request that is not an
     * export: 404; not made yet: 409 export_not_ready; failed: 409 export_failed; past its link's
     * expiry (deleted or about to be): 410 export_expired.
     */
    async openDownload(userId: string, requestId: string, now = new Date()): Promise<ExportDownload> {
      const request = await ownExport(userId, requestId);
      if (request.status === 'pending' || request.status === 'running') throw new DomainError('export_not_ready');
      if (request.status !== 'completed') throw new DomainError('export_failed');
      const file = await prisma.dataExport.findUnique({ where: { requestId } });
      if (!file || file.deletedAt || file.expiresAt <= now) throw new DomainError('export_expired');
      return {
        requestId,
        sizeBytes: Number(file.sizeBytes),
        expiresAt: file.expiresAt,
        chunks: () => readChunks(prisma, dataKeys, { requestId, userId: file.userId, chunkCount: file.chunkCount }),
      };
    },

    /** What a request's view adds for an export: its download link and expiry while it can be downloaded. */
    async downloadLink(request: { id: string; type: string; status: string }, now = new Date()): Promise<{ downloadUrl: string; downloadExpiresAt: Date } | undefined> {
      if (request.type !== 'export' || request.status !== 'completed') return undefined;
      const file = await prisma.dataExport.findUnique({ where: { requestId: request.id } });
      if (!file || file.deletedAt || file.expiresAt <= now) return undefined;
      return { downloadUrl: downloadPath(request.id), downloadExpiresAt: file.expiresAt };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
