import { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { type ClusterConfig, clusterConfig } from '../config/configuration.js';
import { RedisConnection } from '../redis/redis-connection.js';

export interface NodeDirectoryEvents {
  /** Another node stopped heartbeating (died, or was cut off): what it held must be cleaned up. */
  'node.down': [{ nodeId: string }];
  /** This node missed its own deadline (a stall): the others treat it as gone, so its sessions are stale. */
  'self.expired': [];
}

/** How long a dead node stays listed (as expired) so that nodes starting later still see it. */
const FORGET_AFTER_MS = 120_000;
/**
 * The first heartbeat registers the node, and a failure stops the boot. A process starting on a
 * busy machine can miss the command deadline (500 ms) although Redis answered: so a few tries,
 * each with a short pause, before giving up.
 */
const FIRST_BEAT_ATTEMPTS = 3;
const FIRST_BEAT_RETRY_MS = 250;

// One sorted set of node ids scored by when their heartbeat runs out, on Redis's clock.
// Returns this node's state before the beat (0 listed, 1 run out, 2 not listed at all), then the
// live and the expired ids.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
local state = previous and (tonumber(previous) < now and 1 or 0) or 2
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
return { state, redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf'), redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now) }`;

// The ids whose heartbeat has not run out, on Redis's clock.
const LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf')`;

const LISTED = 0;
const RAN_OUT = 1;

/**
 * The convene nodes sharing one Redis: each heartbeats into a sorted set with an expiry, and
 * each watches the others, emitting `node.down` once for every node whose heartbeat ran out (or
 * that left). Handlers must be idempotent: every live node sees the same death. Without Redis
 * there is one node, this one.
 */
@Injectable()
export class NodeDirectory implements OnModuleInit, OnApplicationShutdown {
  readonly events = new EventEmitter<NodeDirectoryEvents>();
  private readonly logger = new Logger('NodeDirectory');
  private timer: NodeJS.Timeout | undefined;
  private live = new Set<string>();
  private readonly announcedDown = new Set<string>();
  private beating: Promise<void> | undefined;
  /** Whether a heartbeat of this process has reached Redis (so its absence means data lost). */
  private registered = false;
  /** When the last heartbeat whose answer came back was sent (Date.now()). */
  private lastBeatSentAt = 0;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(clusterConfig.KEY) private readonly config: ClusterConfig,
  ) {}

  /** This node's id (CONVENE_NODE_ID, or generated at start). */
  get nodeId(): string {
    return this.config.nodeId;
  }

  get clustered(): boolean {
    return this.redis.enabled;
  }

  /** How often this node heartbeats: a few times per TTL, so one late beat is not death. */
  get heartbeatMs(): number {
    return Math.max(250, Math.floor((this.config.nodeTtlSeconds * 1000) / 4));
  }

  async onModuleInit(): Promise<void> {
    this.live.add(this.nodeId);
    if (!this.redis.enabled) return;
    await this.redis.connect();
    await this.firstBeat();
    this.timer = setInterval(() => void this.beatOnce(), this.heartbeatMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    // A clean stop leaves at once, so the others need not wait for the TTL.
    if (this.redis.client?.status === 'ready')
      await this.redis.client.zrem(this.key, this.nodeId).catch(() => undefined);
  }

  /** The nodes alive at the last heartbeat (this one included). */
  liveNodes(): string[] {
    return [...this.live];
  }

  /**
   * The nodes alive now, for a request that must reach every node holding a connection: the last
   * heartbeat's (this one included) and those Redis lists now, for `liveNodes()` does not list a
   * node that started since this node's last heartbeat, and connections may already be there.
   * (A node in the first list that has died is not listening: a request to it fails at once.)
   * Only the last heartbeat's when Redis does not answer.
   */
  async liveNodesNow(): Promise<string[]> {
    const client = this.redis.client;
    if (!client) return this.liveNodes();
    try {
      const live = (await client.eval(LIVE, 1, this.key)) as string[];
      return [...new Set([this.nodeId, ...this.live, ...live])];
    } catch (error) {
      this.logger.warn({ err: error }, 'reading the live nodes failed; using the last heartbeat’s');
      return this.liveNodes();
    }
  }

  /** Whether the node is alive: by the last heartbeat, or else by Redis now (a node just started). */
  async isLiveNow(nodeId: string): Promise<boolean> {
    return this.live.has(nodeId) || (await this.liveNodesNow()).includes(nodeId);
  }

  isLive(nodeId: string): boolean {
    return this.live.has(nodeId);
  }

  /** Runs one heartbeat now (tests; and the timer). */
  beatOnce(): Promise<void> {
    this.beating ??= this.beat()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'node heartbeat failed'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async firstBeat(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.beat();
      } catch (error) {
        if (attempt >= FIRST_BEAT_ATTEMPTS) throw error;
        this.logger.warn({ err: error, attempt }, 'first node heartbeat failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, FIRST_BEAT_RETRY_MS));
      }
    }
  }

  private get key(): string {
    return `${this.redis.keyPrefix}nodes`;
  }

  private async beat(): Promise<void> {
    const client = this.redis.client;
    if (!client) return;
    const sentAt = Date.now();
    const [state, live, expired] = (await client.eval(
      HEARTBEAT,
      1,
      this.key,
      this.nodeId,
      this.config.nodeTtlSeconds * 1000,
      FORGET_AFTER_MS,
    )) as [number, string[], string[]];
    // Not listed although registered before: Redis lost its data (restarted empty, failed over
    // to a replica that had not caught up). Presence went with it, so this node's sessions are
    // as stale as after a missed deadline: they are ended, and their clients join again.
    const lost = this.registered && state !== LISTED && state !== RAN_OUT;
    // No heartbeat answered for longer than the TTL: the others have counted this node out, even if Redis
    // says it is listed. Beats whose answers were lost (timed out while the link was down) may
    // still have reached Redis when the link came back, renewing the entry unseen.
    // Measured between the beats' sending, so that a stall of this process while an answer is
    // on its way does not count (that beat did renew the entry in time).
    const silent =
      this.registered && sentAt - this.lastBeatSentAt > this.config.nodeTtlSeconds * 1000;
    this.registered = true;
    this.lastBeatSentAt = sentAt;
    if (state === RAN_OUT || lost || silent) {
      this.logger.error(
        { nodeId: this.nodeId },
        lost
          ? 'Redis no longer lists this node (its data was lost)'
          : 'this node missed its heartbeat deadline',
      );
      this.events.emit('self.expired');
    }
    const previous = this.live;
    this.live = new Set(live);
    // After a data loss the others are missing only until their next beat: not down (and what
    // they held in Redis is gone already, so there is nothing to clean up after them).
    const missing = lost ? [] : [...previous].filter((id) => !this.live.has(id));
    const down = new Set([...expired, ...missing]);
    for (const nodeId of down) {
      if (nodeId === this.nodeId || this.announcedDown.has(nodeId)) continue;
      this.announcedDown.add(nodeId);
      this.logger.warn({ nodeId }, 'node down');
      this.events.emit('node.down', { nodeId });
    }
    // A node id that comes back (a restart with the same CONVENE_NODE_ID) can die again.
    for (const nodeId of live) this.announcedDown.delete(nodeId);
  }
}
