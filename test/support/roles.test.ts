// Staff roles are granted and revoked by an operator command only, and every
// change is audited (who, whom, which role, why, when) in the same transaction;
// a revoked role stops working at the next request; a command that changes
// nothing, or is refused, records nothing.
import { randomUUID } from 'node:crypto';
import { rolesCommand } from '../../scripts/roles';
import { UsageError } from '../../scripts/lib/cli';
import { signedUpClient } from '../helpers/api';
import { testPrisma } from '../helpers/env';
import { useTestApi } from '../helpers/lifecycle';

const prisma = testPrisma();
const api = useTestApi();
const REASON = ['--reason', 'joins the support rota (ticket OPS-12)'];
const auditOf = (userId: string) => prisma.operatorAction.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });

it('grant and revoke are audited; the revoked role is refused at the next request', async () => {
  const member = await signedUpClient(api.baseUrl, 'New Support');
  const supportPath = `/v1/support/users/${randomUUID()}/executions`;
  const headers = { 'X-Access-Reason': 'checking access' };
  expect((await member.client.get(supportPath, headers)).status).toBe(403);

  expect(await rolesCommand(prisma, ['grant', member.email, 'support', ...REASON], 'cli:alice')).toBe(`${member.email}: user, support`);
  expect((await member.client.get(supportPath, headers)).status).toBe(404); // past the role check: the user does not exist

  expect(await rolesCommand(prisma, ['grant', member.email, 'support', ...REASON], 'cli:alice')).toContain('(nothing changed)');
  expect(await rolesCommand(prisma, ['revoke', member.email, 'support', '--reason', 'left the team'], 'cli:bob')).toBe(`${member.email}: user`);
  expect((await member.client.get(supportPath, headers)).status).toBe(403);

  expect((await auditOf(member.user.id)).map((a) => [a.operator, a.action, a.detail, a.reason])).toEqual([
    ['cli:alice', 'grant_role', 'support', 'joins the support rota (ticket OPS-12)'],
    ['cli:bob', 'revoke_role', 'support', 'left the team'],
  ]);
  expect(await rolesCommand(prisma, ['list', member.email])).toBe(`${member.email}: user`);
});

it('refused commands change nothing and record nothing', async () => {
  const member = await signedUpClient(api.baseUrl, 'Refused');
  for (const argv of [
    ['grant', member.email, 'support'], // no reason
    ['grant', member.email, 'support', '--reason', ' '],
    ['grant', member.email, 'user', ...REASON], // not a staff role
    ['grant', member.email, 'superuser', ...REASON],
    ['promote', member.email, 'admin', ...REASON],
  ]) {
    await expect(rolesCommand(prisma, argv)).rejects.toBeInstanceOf(UsageError);
  }
  await expect(rolesCommand(prisma, ['grant', `nobody-${randomUUID()}@example.com`, 'admin', ...REASON])).rejects.toMatchObject({ code: 'not_found' });
  expect((await prisma.user.findUniqueOrThrow({ where: { id: member.user.id } })).roles).toEqual(['user']);
  expect(await auditOf(member.user.id)).toEqual([]);
});

it('concurrent changes to one account are all kept, each audited', async () => {
  const member = await signedUpClient(api.baseUrl, 'Busy Staff');
  const roles = ['support', 'dpo', 'incident_responder', 'admin'];
  await Promise.all(roles.map((role) => rolesCommand(prisma, ['grant', member.email, role, ...REASON])));
  expect((await prisma.user.findUniqueOrThrow({ where: { id: member.user.id } })).roles.sort()).toEqual(['user', ...roles].sort());
  expect((await auditOf(member.user.id)).map((a) => a.detail).sort()).toEqual([...roles].sort());
});
