// The one-click unsubscribe of a marketing mail (RFC 8058): the signed token
// (./unsubscribe-token) withdraws marketing consent, recorded in the consent
// history with source `unsubscribe_link` and the mail's id. The history row's
// unique mail id makes each link work once: a replayed link changes nothing and
// is refused with `unsubscribe_link_used`. A tampered or expired link changes
// nothing either.
import { Prisma, type PrismaClient } from '@prisma/client';
import { DomainError } from '../errors';
import { changeChoices } from './history';
import { verifyUnsubscribeToken, type UnsubscribeClaims } from './unsubscribe-token';

export function createUnsubscribe(prisma: PrismaClient, key: Buffer) {
  const used = () => new DomainError('unsubscribe_link_used');

  /** The link's claims if it can still be used (for the confirmation page); refuses it as `unsubscribe` would. */
  async function check(token: string): Promise<UnsubscribeClaims> {
    const claims = verifyUnsubscribeToken(key, token);
    if (await prisma.consentEvent.findUnique({ where: { mailId: claims.mailId }, select: { id: true } })) throw used();
    if ((await prisma.user.count({ where: { id: claims.userId } })) === 0) throw new DomainError('unsubscribe_link_invalid', 'the account this link was for no longer exists');
    return claims;
  }

  return {
    check,

    /** Withdraws marketing consent for the link's user; returns when. */
    async unsubscribe(token: string): Promise<{ at: Date }> {
      const claims = await check(token);
      try {
        await prisma.$transaction((tx) => changeChoices(tx, claims.userId, { marketing: false }, 'unsubscribe_link', { mailId: claims.mailId }));
      } catch (err) {
        // A concurrent use of the same link won the unique mail id.
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') throw used();
        if (err instanceof DomainError && err.code === 'not_found') throw new DomainError('unsubscribe_link_invalid', 'the account this link was for no longer exists');
        throw err;
      }
      return { at: new Date() };
    },
  };
}

export type Unsubscribe = ReturnType<typeof createUnsubscribe>;
