/** Polls `probe` until it returns a truthy value (returned) or the time runs out (throws with the last value). */
type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

export async function waitFor<T>(probe: () => Promise<T>, { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {}): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as Truthy<T>;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
}

/** `waitFor` for a yes/no check, polled every 20 ms: for announcements that arrive within milliseconds (the caches' tests). */
export const eventually = (check: () => Promise<boolean>, what: string, withinMs = 2_000) => waitFor(check, { what, timeoutMs: withinMs, intervalMs: 20 });
