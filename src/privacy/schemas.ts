// Request and response shapes of the privacy-request routes.
import { z, timestamp } from '../zod';
import { pageQuery } from '../pagination';
import { PRIVACY_REQUEST_TYPES } from './requests';

const STATUSES = ['pending', 'running', 'completed', 'cancelled', 'failed'] as const;

export const PrivacyRequest = z
  .object({
    id: z.string().uuid(),
    type: z.enum(PRIVACY_REQUEST_TYPES),
    status: z.enum(STATUSES),
    channel: z.enum(['api', 'email']).openapi({ description: '`api`: made through the API; `email`: sent to the privacy address and opened by the DPO' }),
    createdAt: timestamp(),
    dueAt: timestamp().openapi({ description: 'the date by which the request must be done (Art. 12(3): one month)' }),
    completedAt: timestamp().nullable(),
    daysLeft: z.number().int().nullable().openapi({ description: 'whole days until dueAt (negative when overdue); null once closed' }),
    atRisk: z.boolean().openapi({ description: 'a step kept failing near the deadline and the DPO was alerted' }),
    downloadUrl: z.string().optional().openapi({ description: 'exports: where to download the file while it lasts' }),
    downloadExpiresAt: timestamp().optional().openapi({ description: 'exports: when the download link expires and the file is deleted' }),
  })
  .openapi('PrivacyRequest');

export const DpoPrivacyRequest = PrivacyRequest.extend({
  userId: z.string().uuid().nullable().openapi({ description: 'null once the account is erased' }),
  openedBy: z.string().openapi({ description: '`user`, or `dpo:<staff id>` when the DPO opened it' }),
  atRiskAt: timestamp().nullable(),
}).openapi('DpoPrivacyRequest');

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const DpoListQuery = pageQuery
  .extend({
    overdue: flag.optional().openapi({ description: '`true`: only open requests past their due date' }),
    atRisk: flag.optional().openapi({ description: '`true`: only open requests marked at risk' }),
  })
  .strict();

export const OpenForUserBody = z
  .object({
    userId: z.string().uuid(),
    type: z.enum(PRIVACY_REQUEST_TYPES),
    channel: z.literal('email').openapi({ description: 'how the request arrived: by email to the privacy address' }),
  })
  .strict()
  .openapi('OpenPrivacyRequest');
