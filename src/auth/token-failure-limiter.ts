import { Injectable } from '@nestjs/common';
import { RateLimitStore } from '../rate-limit/rate-limit.store.js';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 20;
const key = (address: string) => `token-failures:${address}`;

/**
 * Slows down token guessing on the WebSocket handshake: after MAX_FAILURES failed verifications
 * from one address within a minute, that address is refused (even with a valid token) until the
 * window ends. With Redis the count is shared by all nodes.
 */
@Injectable()
export class TokenFailureLimiter {
  constructor(private readonly store: RateLimitStore) {}

  async isBlocked(address: string): Promise<boolean> {
    return (await this.store.peek(key(address))).count >= MAX_FAILURES;
  }

  async recordFailure(address: string): Promise<void> {
    await this.store.hit(key(address), WINDOW_MS);
  }
}
