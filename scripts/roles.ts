// Operator command: grant or revoke a staff role. Roles are never granted
// through the API (a user cannot make themselves support, dpo or admin).
//   npm run roles -- grant alice@example.com support
//   npm run roles -- revoke alice@example.com support
//   npm run roles -- list alice@example.com
import { Role, type PrismaClient } from '@prisma/client';
import { runCommand, UsageError } from './lib/cli';

const STAFF_ROLES: readonly Role[] = Object.values(Role).filter((r) => r !== Role.user);

export async function changeRole(prisma: PrismaClient, action: 'grant' | 'revoke', email: string, role: Role): Promise<Role[]> {
  if (!STAFF_ROLES.includes(role)) throw new Error(`role must be one of ${STAFF_ROLES.join(', ')}`);
  return prisma.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    if (!user) throw new Error(`no account with email ${email}`);
    const roles = action === 'grant' ? [...new Set([...user.roles, role])] : user.roles.filter((r) => r !== role);
    const updated = await tx.user.update({ where: { id: user.id }, data: { roles } });
    return updated.roles;
  });
}

const USAGE = 'usage: npm run roles -- grant|revoke <email> <role>   |   npm run roles -- list <email>';

runCommand(module, async (prisma, [action, email, role]) => {
  if (action === 'list' && email) {
    const user = await prisma.user.findUnique({ where: { email: email.toLowerCase() } });
    return user ? user.roles.join(', ') : `no account with email ${email}`;
  }
  if ((action === 'grant' || action === 'revoke') && email && role) {
    const roles = await changeRole(prisma, action, email, role as Role);
    return `${email}: ${roles.join(', ')}`;
  }
  throw new UsageError(USAGE);
});
