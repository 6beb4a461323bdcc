import { Injectable } from '@nestjs/common';
import { RateLimitStore, retryAfterSeconds } from '../rate-limit/rate-limit.store.js';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 20;

/**
 * Counts failed credentials per client address. Only failures count, and only failures are
 * refused once an address is over the limit: a valid credential from the same address (an
 * office behind one NAT) keeps working. With Redis the count is shared by all nodes.
 */
abstract class FailureLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly name: string,
  ) {}

  /** Counts one failure; when the address is now over the limit, the seconds until it is not. */
  async recordFailure(address: string): Promise<number | undefined> {
    const { count, resetInMs } = await this.store.hit(`${this.name}:${address}`, WINDOW_MS);
    return count > MAX_FAILURES ? retryAfterSeconds(resetInMs) : undefined;
  }
}

/** Join tokens that fail verification on the WebSocket handshake: 20 a minute per address. */
@Injectable()
export class TokenFailureLimiter extends FailureLimiter {
  constructor(store: RateLimitStore) {
    super(store, 'token-failures');
  }
}

/** Unknown or revoked API keys on the admin API: 20 a minute per address. */
@Injectable()
export class ApiKeyFailureLimiter extends FailureLimiter {
  constructor(store: RateLimitStore) {
    super(store, 'api-key-failures');
  }
}
