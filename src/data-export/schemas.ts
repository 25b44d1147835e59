// Request and response shapes of the data-export routes (they also make the OpenAPI document).
import { z } from '../zod';
import { EXPORT_FORMAT_VERSION } from './plan';

export const RequestIdParams = z.object({ requestId: z.string().uuid() }).strict();

export const ExportStarted = z
  .object({ requestId: z.string().uuid().openapi({ description: 'the privacy request: follow it at GET /v1/privacy/requests/{id}, whose `downloadUrl` appears once the file is ready' }) })
  .openapi('ExportStarted');

export const ExportFile = z
  .object({
    formatVersion: z.literal(EXPORT_FORMAT_VERSION),
    exportedAt: z.string().openapi({ format: 'date-time' }),
    requestId: z.string().uuid(),
    userId: z.string().uuid(),
    tables: z.record(z.unknown()),
    notIncluded: z.record(z.string()),
    summary: z.object({}).passthrough(),
  })
  .passthrough()
  .openapi('ExportFile', { description: 'Every personal datum the register lists for you, by table. Format: docs/privacy-export.md; JSON Schema: docs/privacy-export.schema.json' });
