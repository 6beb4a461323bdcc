import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitStore, retryAfterSeconds } from './rate-limit.store.js';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * @nestjs/throttler's storage on our counters, so the admin API limit is shared by all nodes
 * when Redis is configured. A client over the limit stays blocked until its window ends.
 */
export class ThrottlerStorageAdapter implements ThrottlerStorage {
  constructor(private readonly store: RateLimitStore) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const { count, resetInMs } = await this.store.hit(`throttle:${throttlerName}:${key}`, ttl);
    const seconds = retryAfterSeconds(resetInMs);
    const isBlocked = count > limit;
    return {
      totalHits: count,
      timeToExpire: seconds,
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds : 0,
    };
  }
}
