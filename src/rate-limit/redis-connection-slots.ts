import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ConnectionSlots, SlotLimit, SlotResult } from './connection-slots.js';

// Each key is a sorted set of connection ids scored by when their lease ends (Redis time).
// Expired leases are dropped before counting, so the connections of a node that died stop
// counting once their lease runs out; live nodes renew theirs well before that.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
const ACQUIRE = `${NOW}
local lease = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if not redis.call('ZSCORE', key, ARGV[1]) and redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[1])
  redis.call('PEXPIRE', key, lease)
end
return 0`;
const RENEW = `${NOW}
local lease = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[1]) then
    redis.call('ZADD', key, now + lease, ARGV[1])
    redis.call('PEXPIRE', key, lease)
  end
end
return 0`;
const RELEASE = `
for _, key in ipairs(KEYS) do redis.call('ZREM', key, ARGV[1]) end
return 0`;

const LEASE_MS = 60_000;
const RENEW_EVERY_MS = 20_000;

/**
 * Connection caps shared by every node through Redis. When Redis cannot answer, a connection is
 * admitted (fail open, a warning is logged), as every other limit in convene does.
 */
export class RedisConnectionSlots extends ConnectionSlots implements OnApplicationShutdown {
  private readonly logger = new Logger('ConnectionSlots');
  /** This node's own connections and their keys: what it renews and releases. */
  private readonly held = new Map<string, readonly string[]>();
  private readonly timer: NodeJS.Timeout;
  private lastWarning = 0;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly lease = { leaseMs: LEASE_MS, renewEveryMs: RENEW_EVERY_MS },
  ) {
    super();
    this.timer = setInterval(() => void this.renew(), lease.renewEveryMs);
    this.timer.unref();
  }

  async acquire(connectionId: string, limits: readonly SlotLimit[]): Promise<SlotResult> {
    const keys = limits.map((l) => this.prefix + l.key);
    try {
      const full = (await this.redis.eval(
        ACQUIRE,
        keys.length,
        ...keys,
        connectionId,
        String(this.lease.leaseMs),
        ...limits.map((l) => String(l.max)),
      )) as number;
      if (full > 0) return { ok: false, full: limits[full - 1].key };
    } catch (error) {
      this.warn(error);
    }
    this.held.set(connectionId, keys);
    return { ok: true };
  }

  async release(connectionId: string): Promise<void> {
    const keys = this.held.get(connectionId);
    if (!keys) return;
    this.held.delete(connectionId);
    await this.redis.eval(RELEASE, keys.length, ...keys, connectionId).catch((error: unknown) => {
      this.warn(error);
    });
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const pipeline = this.redis.pipeline();
    for (const [connectionId, keys] of this.held)
      pipeline.eval(RENEW, keys.length, ...keys, connectionId, String(this.lease.leaseMs));
    await pipeline.exec().catch((error: unknown) => this.warn(error));
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning < 10_000) return;
    this.lastWarning = now;
    this.logger.warn({ err: error }, 'Redis unavailable: connection caps are not enforced');
  }
}
