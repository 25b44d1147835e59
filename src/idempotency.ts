// Idempotency-Key replay, written once for every route that creates or charges.
// A request carrying a key its caller used before gets the first request's
// record back if it is the same request, and 409 idempotency_key_reused if it
// is not. Two requests racing with the same key: a unique constraint in
// Postgres lets exactly one create; the other finds the winner's record.
import { DomainError } from './errors';

export type Claim<R, C> = { replay: R } | { created: C };

export async function claimIdempotencyKey<R, C>(options: {
  /** The caller's key; without one, every request creates. */
  key: string | undefined;
  /** The record an earlier request with this key created, if any. */
  find: () => Promise<R | null>;
  /** Whether the earlier record was made by the same request (same target and body). */
  sameRequest: (earlier: R) => boolean;
  /** Creates the record; must fail on the key's unique constraint when another request won. */
  create: () => Promise<C>;
}): Promise<Claim<R, C>> {
  const replayOf = (earlier: R): Claim<R, C> => {
    if (!options.sameRequest(earlier)) throw new DomainError('idempotency_key_reused');
    return { replay: earlier };
  };
  if (options.key === undefined) return { created: await options.create() };
  const earlier = await options.find();
  if (earlier) return replayOf(earlier);
  try {
    return { created: await options.create() };
  } catch (err) {
    if (err instanceof DomainError) throw err; // a refusal, not a lost race
    const winner = await options.find();
    if (winner) return replayOf(winner);
    throw err;
  }
}
