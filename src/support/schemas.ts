// Request and response shapes of the support-access routes (they also make the OpenAPI document).
import { z } from '../zod';
import { pageQuery } from '../pagination';

export const SupportAccess = z
  .object({
    id: z.string().uuid(),
    staffId: z.string().uuid(),
    userId: z.string().uuid(),
    action: z.enum(['list_executions', 'read_execution']),
    executionId: z.string().uuid().nullable(),
    reason: z.string(),
    createdAt: z.date().openapi({ format: 'date-time' }),
  })
  .openapi('SupportAccess');

export const AuditQuery = pageQuery.extend({ userId: z.string().uuid().optional() }).strict();
