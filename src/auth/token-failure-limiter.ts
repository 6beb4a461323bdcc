import { Injectable } from '@nestjs/common';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 20;

/**
 * Slows down token guessing on the WebSocket handshake: after MAX_FAILURES failed verifications
 * from one address within a minute, that address is refused until the window ends.
 * Per process for now; the scale-out version keeps the counters in Redis.
 */
@Injectable()
export class TokenFailureLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  isBlocked(address: string, now = Date.now()): boolean {
    const window = this.windows.get(address);
    if (!window) return false;
    if (now - window.startedAt >= WINDOW_MS) {
      this.windows.delete(address);
      return false;
    }
    return window.failures >= MAX_FAILURES;
  }

  recordFailure(address: string, now = Date.now()): void {
    const window = this.windows.get(address);
    if (!window || now - window.startedAt >= WINDOW_MS) {
      this.windows.set(address, { startedAt: now, failures: 1 });
      if (this.windows.size > 100_000) this.sweep(now);
    } else {
      window.failures++;
    }
  }

  private sweep(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.startedAt >= WINDOW_MS) this.windows.delete(address);
    }
  }
}
