/** The longest wait between two attempts, however many failed before. */
export const MAX_BACKOFF_MS = 3_600_000;

/**
 * The wait after failed attempt number `attempt` (1 = the first): `baseMs` doubled per attempt,
 * capped at an hour, with "equal jitter" (between half and all of it), so that endpoints coming
 * back from an outage are not hit by every node at once, and the wait still grows.
 */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const nominal = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}
