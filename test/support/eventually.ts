/**
 * Polls `check` until it returns something other than undefined or false, and resolves with
 * that; fails naming `what` after `timeoutMs`. For state that settles asynchronously (media
 * stats, a page's DOM), never as a timing assertion.
 */
export async function eventually<T>(
  check: () => T,
  what: string,
  timeoutMs = 15_000,
): Promise<Exclude<Awaited<T>, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false)
      return value as Exclude<Awaited<T>, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
