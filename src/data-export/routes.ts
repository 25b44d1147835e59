// Data exports over HTTP: ask for one (fresh proof of the account needed), and download
// it, streamed chunk by chunk, while its link lasts.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RouteRegistrar } from '../api/router';
import type { Logger } from '../logger';
import type { ExportService } from './service';
import { ExportFile, ExportStarted, RequestIdParams } from './schemas';

export function registerExportRoutes(route: RouteRegistrar, exports: ExportService, logger: Logger) {
  route({
    method: 'post',
    path: '/v1/privacy/exports',
    operationId: 'requestDataExport',
    summary: 'Ask for an export of all your personal data (access and portability)',
    description:
      'Opens an export request and starts making the file in the background. While an export of yours is still pending or running, ' +
      'asking again answers with the same request id. Once made, the file can be downloaded until EXPORT_LINK_TTL (default 7 days) has passed; then it is deleted.',
    tags: ['privacy'],
    access: 'user',
    freshProof: true,
    responses: { 202: ExportStarted },
    handler: async ({ principal }) => ({ status: 202, body: await exports.startExport(principal.userId, { channel: 'api', openedBy: 'user' }) }),
  });

  route({
    method: 'get',
    path: '/v1/privacy/exports/:requestId/download',
    operationId: 'downloadDataExport',
    summary: 'Download your export (a JSON file), until its link expires',
    description:
      'Only the owner of the request (session or token). Another user\'s request, or a request that is not an export, is 404; ' +
      'an export not made yet 409 `export_not_ready`; one that failed 409 `export_failed`; past its expiry 410 `export_expired` (the file is deleted).',
    tags: ['privacy'],
    access: 'user',
    params: RequestIdParams,
    responses: {
      200: {
        schema: ExportFile,
        contentType: 'application/json',
        description: 'The export file, streamed',
        headers: {
          'Content-Disposition': { description: 'attachment; filename="sotally-export-<request id>.json"', schema: { type: 'string' } },
          'Content-Length': { description: 'the size of the file in bytes', schema: { type: 'integer' } },
        },
      },
    },
    errors: ['not_found', 'export_not_ready', 'export_failed', 'export_expired'],
    handler: async ({ res, principal, params }) => {
      const file = await exports.openDownload(principal.userId, params.requestId);
      res.status(200);
      res.setHeader('Content-Type', 'application/json; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="sotally-export-${file.requestId}.json"`);
      res.setHeader('Content-Length', String(file.sizeBytes));
      res.setHeader('Cache-Control', 'no-store');
      try {
        // One decrypted chunk in memory at a time; pipeline waits for the client to drain each.
        await pipeline(Readable.from(file.chunks()), res);
      } catch (err) {
        // Headers are sent: the only honest signal left is to cut the connection (the length will not match).
        res.destroy();
        if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error({ err: { message: (err as Error).message } }, 'export download failed mid-stream');
      }
      return { status: 200 };
    },
  });
}
