// What the API shows of a privacy request.
import type { PrivacyRequest } from '@prisma/client';

const DAY_MS = 86_400_000;

/** Whole days until the due date (negative once overdue); null once the request is closed. */
export function daysLeft(request: Pick<PrivacyRequest, 'status' | 'dueAt'>, now = new Date()): number | null {
  if (request.status !== 'pending' && request.status !== 'running') return null;
  return Math.ceil((request.dueAt.getTime() - now.getTime()) / DAY_MS);
}

export function privacyRequestView(request: PrivacyRequest, now = new Date()) {
  return {
    id: request.id,
    type: request.type,
    status: request.status,
    channel: request.channel,
    createdAt: request.createdAt,
    dueAt: request.dueAt,
    completedAt: request.completedAt,
    daysLeft: daysLeft(request, now),
    atRisk: request.atRiskAt !== null,
  };
}

/** The DPO's view adds who the request is about and who opened it. */
export function dpoPrivacyRequestView(request: PrivacyRequest, now = new Date()) {
  return { ...privacyRequestView(request, now), userId: request.userId, openedBy: request.openedBy, atRiskAt: request.atRiskAt };
}
