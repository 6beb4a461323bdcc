import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { chatConfig } from '../config/configuration.js';
import { RateLimitStore } from '../rate-limit/rate-limit.store.js';

const WINDOW_MS = 10_000;

/** Per-participant limit on chat sends per 10-second window (shared by nodes with Redis). */
@Injectable()
export class ChatRateLimiter {
  constructor(
    @Inject(chatConfig.KEY) private readonly config: ConfigType<typeof chatConfig>,
    private readonly store: RateLimitStore,
  ) {}

  /** Records an attempt; false when the participant is over the limit. */
  async tryAcquire(participantId: string): Promise<boolean> {
    const { count } = await this.store.hit(`chat:${participantId}`, WINDOW_MS);
    return count <= this.config.rateLimitPer10s;
  }
}
