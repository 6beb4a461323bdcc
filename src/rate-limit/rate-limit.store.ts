/** A key's hits in its current fixed window. */
export interface WindowCount {
  count: number;
  /** Milliseconds until the window ends and the count starts again from zero. */
  resetInMs: number;
}

/**
 * Fixed-window counters shared by every limit in convene (admin API, token failures, chat).
 * In memory on a single node; in Redis when `REDIS_URL` is set, so that several nodes enforce
 * one limit together. Nothing outside this module knows which.
 */
export abstract class RateLimitStore {
  /** Counts one hit on `key`; a key's first hit opens a window of `windowMs`. */
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;
  /** The key's current count, without counting. */
  abstract peek(key: string): Promise<WindowCount>;
}

/** A `Retry-After` in whole seconds for a window ending in `resetInMs` (never 0: retry later). */
export function retryAfterSeconds(resetInMs: number): number {
  return Math.max(1, Math.ceil(resetInMs / 1000));
}
