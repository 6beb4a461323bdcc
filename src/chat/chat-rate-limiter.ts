import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { chatConfig } from '../config/configuration.js';

const WINDOW_MS = 10_000;

/**
 * Per-participant sliding-window limit on chat sends. Per process for now (a participant has
 * one live connection, on one node); the scale-out version keeps the window in Redis.
 */
@Injectable()
export class ChatRateLimiter {
  private readonly sent = new Map<string, number[]>();

  constructor(@Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>) {}

  /** Records an attempt; false when the participant is over the limit. */
  tryAcquire(participantId: string, now = Date.now()): boolean {
    const recent = (this.sent.get(participantId) ?? []).filter((t) => now - t < WINDOW_MS);
    if (recent.length >= this.config.rateLimitPer10s) {
      this.sent.set(participantId, recent);
      return false;
    }
    recent.push(now);
    this.sent.set(participantId, recent);
    if (this.sent.size > 50_000) this.sweep(now);
    return true;
  }

  private sweep(now: number): void {
    for (const [id, times] of this.sent) {
      if (times.every((t) => now - t >= WINDOW_MS)) this.sent.delete(id);
    }
  }
}
