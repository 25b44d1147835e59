// Staff roles (support, dpo, incident_responder, admin) are granted and revoked
// only by an operator (npm run roles), never through the API, and every change is
// audited in operator_actions in the same transaction: who (the operator), whom,
// which role, why, when. A revoked role stops working at the next request: the
// API reads roles from the database on every request (src/api/auth.ts).
import { Role, type PrismaClient } from '@prisma/client';
import { DomainError, notFound } from '../errors';

export const STAFF_ROLES: readonly Role[] = Object.values(Role).filter((r) => r !== Role.user);

export interface RoleChange {
  action: 'grant' | 'revoke';
  role: Role;
  /** "cli:<os user>" from npm run roles. */
  operator: string;
  reason: string;
}

/** Grants or revokes one staff role; audited when it changes something (granting a held role changes nothing, records nothing). */
export async function changeRole(prisma: PrismaClient, userId: string, change: RoleChange): Promise<{ roles: Role[]; changed: boolean }> {
  if (!STAFF_ROLES.includes(change.role)) throw new DomainError('validation_failed', `role must be one of ${STAFF_ROLES.join(', ')}`);
  if (!change.reason.trim()) throw new DomainError('validation_failed', 'a reason is required');
  return prisma.$transaction(async (tx) => {
    // The row lock orders concurrent changes to one account: none is lost.
    const [user] = await tx.$queryRaw<{ roles: Role[] }[]>`SELECT roles::text[] AS roles FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
    if (!user) throw notFound('user');
    const held = user.roles.includes(change.role);
    if (held === (change.action === 'grant')) return { roles: user.roles, changed: false };
    const roles = change.action === 'grant' ? [...user.roles, change.role] : user.roles.filter((r) => r !== change.role);
    await tx.user.update({ where: { id: userId }, data: { roles } });
    await tx.operatorAction.create({
      data: { userId, operator: change.operator, action: `${change.action}_role`, reason: change.reason.trim(), detail: change.role },
    });
    return { roles, changed: true };
  });
}
