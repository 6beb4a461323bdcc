import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimitStore, WindowCount } from './rate-limit.store.js';

// INCR and the window's expiry in one atomic step: two nodes can never both open a window.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;
const PEEK = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return { count, redis.call('PTTL', KEYS[1]) }`;

/**
 * Counters in Redis, shared by every node. When Redis cannot answer, limits fail open (the
 * request goes ahead, a warning is logged): a rate limit protects the service, it must not be
 * what takes it down.
 */
export class RedisRateLimitStore extends RateLimitStore {
  private readonly logger = new Logger('RateLimit');
  private lastWarning = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    super();
  }

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return this.run(HIT, key, [String(windowMs)], windowMs);
  }

  peek(key: string): Promise<WindowCount> {
    return this.run(PEEK, key, [], 0);
  }

  private async run(
    script: string,
    key: string,
    args: string[],
    windowMs: number,
  ): Promise<WindowCount> {
    try {
      const [count, ttl] = (await this.redis.eval(script, 1, this.prefix + key, ...args)) as [
        number,
        number,
      ];
      return { count, resetInMs: Math.max(ttl, 0) };
    } catch (error) {
      const now = Date.now();
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.logger.warn({ err: error }, 'Redis unavailable: rate limits are not enforced');
      }
      return { count: 0, resetInMs: windowMs };
    }
  }
}
