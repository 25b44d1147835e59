// Operator command: grant or revoke a staff role. Roles are never granted
// through the API (a user cannot make themselves support, dpo or admin).
//   npm run roles -- grant alice@example.com support
//   npm run roles -- revoke alice@example.com support
//   npm run roles -- list alice@example.com
import { Role, type PrismaClient } from '@prisma/client';
import { emailIndexKeyFromEnv, runCommand, UsageError } from './lib/cli';
import { findUserIdByEmail } from '../src/accounts/email-index';

const STAFF_ROLES: readonly Role[] = Object.values(Role).filter((r) => r !== Role.user);

export async function changeRole(prisma: PrismaClient, action: 'grant' | 'revoke', email: string, role: Role, indexKey = emailIndexKeyFromEnv()): Promise<Role[]> {
  if (!STAFF_ROLES.includes(role)) throw new Error(`role must be one of ${STAFF_ROLES.join(', ')}`);
  return prisma.$transaction(async (tx) => {
    const id = await findUserIdByEmail(tx, indexKey, email);
    const user = id ? await tx.user.findUnique({ where: { id } }) : null;
    if (!user) throw new Error(`no account with email ${email}`);
    const roles = action === 'grant' ? [...new Set([...user.roles, role])] : user.roles.filter((r) => r !== role);
    const updated = await tx.user.update({ where: { id: user.id }, data: { roles } });
    return updated.roles;
  });
}

const USAGE = 'usage: npm run roles -- grant|revoke <email> <role>   |   npm run roles -- list <email>';

runCommand(module, async (prisma, [action, email, role]) => {
  if (action === 'list' && email) {
    const id = await findUserIdByEmail(prisma, emailIndexKeyFromEnv(), email);
    const user = id ? await prisma.user.findUnique({ where: { id } }) : null;
    return user ? user.roles.join(', ') : `no account with email ${email}`;
  }
  if ((action === 'grant' || action === 'revoke') && email && role) {
    const roles = await changeRole(prisma, action, email, role as Role);
    return `${email}: ${roles.join(', ')}`;
  }
  throw new UsageError(USAGE);
});
