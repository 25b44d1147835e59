// Request and response shapes of the creator and platform analytics routes (they also make the OpenAPI document).
import { z } from '../zod';

export const AnalyticsQueryParams = z
  .object({
    from: z.string().datetime({ offset: true }).optional().openapi({ description: 'start of the period (default: `to` minus 7 days, or minus 1 day for hours)', format: 'date-time' }),
    to: z.string().datetime({ offset: true }).optional().openapi({ description: 'end of the period, exclusive (default: now)', format: 'date-time' }),
    granularity: z.enum(['hour', 'day']).default('hour'),
  })
  .strict();

export const Bucket = z
  .object({
    bucketStart: z.date().openapi({ format: 'date-time' }),
    suppressed: z.boolean().openapi({ description: 'true: fewer than ANALYTICS_MIN_GROUP distinct users ran the tool in this bucket; no numbers are given' }),
    runs: z.number().int().optional(),
    succeeded: z.number().int().optional(),
    failed: z.number().int().optional(),
    p50LatencyMs: z.number().int().nullable().optional(),
    p95LatencyMs: z.number().int().nullable().optional(),
    creditsEarned: z.number().int().optional(),
  })
  .openapi('AnalyticsBucket');

export const PlatformQuery = z
  .object({
    from: z.string().datetime({ offset: true }).optional().openapi({ description: 'start of the period (default: `to` minus 30 days)', format: 'date-time' }),
    to: z.string().datetime({ offset: true }).optional().openapi({ description: 'end of the period, exclusive (default: now)', format: 'date-time' }),
  })
  .strict();

export const PlatformDay = z
  .object({
    day: z.date().openapi({ format: 'date-time' }),
    suppressed: z.boolean(),
    runs: z.number().int().optional(),
    succeeded: z.number().int().optional(),
    failed: z.number().int().optional(),
    failureRate: z.number().optional(),
    failuresByCode: z.record(z.number().int()).optional(),
    p50LatencyMs: z.number().int().nullable().optional(),
    p95LatencyMs: z.number().int().nullable().optional(),
    creditsEarned: z.number().int().optional(),
  })
  .openapi('PlatformAnalyticsDay');

export const PlatformAnalytics = z.object({ items: z.array(PlatformDay) }).openapi('PlatformAnalytics');

export const ToolAnalytics = z.object({ items: z.array(Bucket) }).openapi('ToolAnalytics');
