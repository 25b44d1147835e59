// Privacy requests: every request a user makes under the policy (export, erasure, restriction,
// objection, rectification through staff), tracked with its due date so none is forgotten.
// The user lists their own; the DPO lists all, the overdue and the at-risk ones, and opens
// requests on a user's behalf (one that arrived by email). The features that carry a request
// out (export, erasure, ...) move it through running → completed | cancelled | failed here.
import type { Prisma, PrismaClient, PrivacyRequest, PrivacyRequestStatus, PrivacyRequestType } from '@prisma/client';
import { DomainError, notFound } from '../errors';
import { newestFirst } from '../pagination';

type Db = PrismaClient | Prisma.TransactionClient;

export const PRIVACY_REQUEST_TYPES = ['export', 'erasure', 'restriction', 'objection', 'rectification'] as const satisfies readonly PrivacyRequestType[];
/** A request that still needs work: it counts towards "overdue" once past its due date. */
export const OPEN_STATUSES = ['pending', 'running'] as const satisfies readonly PrivacyRequestStatus[];

export interface OpenOptions {
  /** "api" (default): the user through the API; "email": to the privacy address, opened by the DPO. */
  channel?: 'api' | 'email';
  /** "user" (default) or "dpo:<staff id>". */
  openedBy?: string;
  /** What was asked, never personal data. */
  details?: Prisma.InputJsonValue;
  /** Default: now + PRIVACY_REQUEST_DEADLINE. */
  dueAt?: Date;
}

export interface DpoFilter {
  /** Open and past the due date. */
  overdue?: boolean;
  /** A step kept failing near the deadline (the DPO was alerted). */
  atRisk?: boolean;
}

export function createPrivacyRequests(prisma: PrismaClient, settings: { deadlineMs: number }) {
  const setStatus = (db: Db, id: string, status: PrivacyRequestStatus, extra: Prisma.PrivacyRequestUpdateManyMutationInput = {}) =>
    db.privacyRequest.update({ where: { id }, data: { status, ...extra } });

  return {
    open(userId: string, type: PrivacyRequestType, options: OpenOptions = {}, db: Db = prisma): Promise<PrivacyRequest> {
      const now = new Date();
      return db.privacyRequest.create({
        data: {
          userId,
          type,
          channel: options.channel ?? 'api',
          openedBy: options.openedBy ?? 'user',
          details: options.details ?? {},
          createdAt: now,
          dueAt: options.dueAt ?? new Date(now.getTime() + settings.deadlineMs),
        },
      });
    },

    /** The user's own request; another user's, or none, is 404. */
    async get(userId: string, id: string, db: Db = prisma): Promise<PrivacyRequest> {
      const request = await db.privacyRequest.findFirst({ where: { id, userId } });
      if (!request) throw notFound('privacy request');
      return request;
    },

    byId(id: string, db: Db = prisma): Promise<PrivacyRequest | null> {
      return db.privacyRequest.findUnique({ where: { id } });
    },

    /** The user's open request of a type, if any (e.g. the erasure a second request joins). */
    openOfType(userId: string, type: PrivacyRequestType, db: Db = prisma): Promise<PrivacyRequest | null> {
      return db.privacyRequest.findFirst({ where: { userId, type, status: { in: [...OPEN_STATUSES] } }, orderBy: newestFirst });
    },

    list(userId: string, after: object, limit: number) {
      return prisma.privacyRequest.findMany({ where: { userId, ...after }, orderBy: newestFirst, take: limit + 1 });
    },

    /** The DPO's view: every request, or only the overdue / at-risk open ones. */
    listAll(filter: DpoFilter, after: object, limit: number) {
      const where: Prisma.PrivacyRequestWhereInput[] = [after];
      if (filter.overdue) where.push({ status: { in: [...OPEN_STATUSES] }, dueAt: { lt: new Date() } });
      if (filter.atRisk) where.push({ status: { in: [...OPEN_STATUSES] }, atRiskAt: { not: null } });
      return prisma.privacyRequest.findMany({ where: { AND: where }, orderBy: newestFirst, take: limit + 1 });
    },

    start: (id: string, db: Db = prisma) => setStatus(db, id, 'running'),
    complete: (id: string, db: Db = prisma) => setStatus(db, id, 'completed', { completedAt: new Date() }),
    cancel: (id: string, db: Db = prisma) => setStatus(db, id, 'cancelled', { completedAt: new Date() }),
    fail: (id: string, failureCode: string, db: Db = prisma) => setStatus(db, id, 'failed', { failureCode, completedAt: new Date() }),
    /**
     * The DPO marks a request they carried out by hand as done. Export and erasure are carried
     * out by their workflows and refused here, as is a request already closed (409 conflict).
     */
    async completeByHand(id: string): Promise<PrivacyRequest> {
      const request = await prisma.privacyRequest.findUnique({ where: { id } });
      if (!request) throw notFound('privacy request');
      const { count } = await prisma.privacyRequest.updateMany({
        where: { id, type: { notIn: ['export', 'erasure'] }, status: { in: [...OPEN_STATUSES] } },
        data: { status: 'completed', completedAt: new Date() },
      });
      if (count === 0) throw new DomainError('conflict', 'only an open restriction, objection or rectification request can be completed by hand');
      return (await prisma.privacyRequest.findUnique({ where: { id } }))!;
    },

    markAtRisk: (id: string, db: Db = prisma) => db.privacyRequest.updateMany({ where: { id, atRiskAt: null }, data: { atRiskAt: new Date() } }),
  };
}

export type PrivacyRequests = ReturnType<typeof createPrivacyRequests>;
