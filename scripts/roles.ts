// Operator command: grant or revoke a staff role, audited in operator_actions
// (operator "cli:<os user>", the reason). Roles are never granted through the
// API (a user cannot make themselves support, dpo or admin).
//   npm run roles -- grant alice@example.com support --reason "joins the support rota"
//   npm run roles -- revoke alice@example.com support --reason "left the team"
//   npm run roles -- list alice@example.com
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { PrismaClient, Role } from '@prisma/client';
import { changeRole, STAFF_ROLES } from '../src/accounts/roles';
import { accountIdByEmail, runCommand, UsageError } from './lib/cli';

const USAGE = `usage: npm run roles -- grant|revoke <email> <${STAFF_ROLES.join('|')}> --reason "<why>"   |   npm run roles -- list <email>`;

/** Runs one command; returns the line to print, or throws. Exported for the tests. */
export async function rolesCommand(prisma: PrismaClient, argv: string[], operator = `cli:${os.userInfo().username}`): Promise<string> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' } } });
  const [action, email, role] = positionals;
  if (action === 'list' && email && positionals.length === 2) {
    const user = await prisma.user.findUniqueOrThrow({ where: { id: await accountIdByEmail(prisma, email) }, select: { roles: true } });
    return `${email}: ${user.roles.join(', ')}`;
  }
  const reason = values.reason?.trim();
  if ((action !== 'grant' && action !== 'revoke') || !email || !role || positionals.length !== 3 || !reason || reason.length < 3) throw new UsageError(USAGE);
  if (!STAFF_ROLES.includes(role as Role)) throw new UsageError(USAGE);
  const result = await changeRole(prisma, await accountIdByEmail(prisma, email), { action, role: role as Role, operator, reason });
  return `${email}: ${result.roles.join(', ')}${result.changed ? '' : ' (nothing changed)'}`;
}

runCommand(module, (prisma, argv) => rolesCommand(prisma, argv));
