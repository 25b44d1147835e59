// Support access to a user's runs (SPEC feature 9, policy section 5): staff with
// the support role read a user's runs, inputs and outputs included, for
// troubleshooting, and only with a stated reason. Every access is written to the
// append-only audit (support_access_audit) before anything is answered: no
// entry, no data. The user sees the entries in their data export (the register
// includes the table); the DPO lists them.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@prisma/client';
import { DomainError, notFound } from '../errors';
import { newestFirst } from '../pagination';

export const MAX_REASON_CHARS = 500;

/** The stated reason, trimmed: 1 to 500 characters, one line. */
export function accessReason(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  if (!value || [...value].length > MAX_REASON_CHARS || /[\r\n]/.test(value) || value.includes('\u0000')) {
    throw new DomainError('access_reason_required', 'state why you need this user\'s runs in the X-Access-Reason header (1 to 500 characters, one line)');
  }
  return value;
}

export function createSupportService(prisma: PrismaClient) {
  const audit = (entry: { staffId: string; userId: string; action: 'list_executions' | 'read_execution'; executionId?: string; reason: string }) =>
    prisma.supportAccess.create({ data: { id: randomUUID(), ...entry } });

  return {
    /** A page of the user's runs, newest first (`after`: the keyset condition, `limit` + 1 read); audited first. */
    async listExecutions(staffId: string, userId: string, reason: string, after: object, limit: number) {
      if (!(await prisma.user.findUnique({ where: { id: userId }, select: { id: true } }))) throw notFound('user');
      await audit({ staffId, userId, action: 'list_executions', reason });
      return prisma.execution.findMany({ where: { userId, ...after }, orderBy: newestFirst, take: limit + 1 });
    },

    /** One run, for its inputs and output; audited first. */
    async readExecution(staffId: string, executionId: string, reason: string) {
      const execution = await prisma.execution.findUnique({ where: { id: executionId } });
      if (!execution) throw notFound('execution');
      await audit({ staffId, userId: execution.userId, action: 'read_execution', executionId, reason });
      return execution;
    },

    /** The audit, newest first, for the DPO (optionally one user's). */
    listAudit: (userId: string | undefined, after: object, limit: number) =>
      prisma.supportAccess.findMany({ where: { ...(userId ? { userId } : {}), ...after }, orderBy: newestFirst, take: limit + 1 }),
  };
}

export type SupportService = ReturnType<typeof createSupportService>;
