import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Redis } from 'ioredis';
import { rateLimitConfig } from '../config/configuration.js';
import { ConnectionSlots, InMemoryConnectionSlots } from './connection-slots.js';
import { InMemoryRateLimitStore } from './in-memory-rate-limit.store.js';
import { RateLimitStore } from './rate-limit.store.js';
import { RedisConnectionSlots } from './redis-connection-slots.js';
import { RedisRateLimitStore } from './redis-rate-limit.store.js';

const CONNECT_TIMEOUT_MS = 5_000;

/** The Redis connection behind the limits, when `REDIS_URL` is set; closed on shutdown. */
@Injectable()
class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | undefined;

  constructor(@Inject(rateLimitConfig.KEY) config: ConfigType<typeof rateLimitConfig>) {
    if (!config.redisUrl) return;
    this.client = new Redis(config.redisUrl, {
      lazyConnect: true,
      // Answer now or not at all: a limit check must never queue behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      connectTimeout: CONNECT_TIMEOUT_MS,
    });
    this.client.on('error', (error: Error) => this.logger.debug({ err: error }, 'redis error'));
  }

  /** A configured Redis must answer at boot: a wrong REDIS_URL stops the process. */
  async connect(): Promise<void> {
    if (!this.client) return;
    try {
      await this.client.connect();
    } catch (error) {
      this.client.disconnect();
      throw new Error(
        `REDIS_URL: cannot connect (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.client && this.client.status === 'ready') await this.client.quit();
    else this.client?.disconnect();
  }
}

/**
 * Rate-limit counters and connection caps for every feature: Redis when configured (shared by
 * nodes), else memory.
 */
@Global()
@Module({
  providers: [
    RedisConnection,
    {
      provide: RateLimitStore,
      inject: [RedisConnection, rateLimitConfig.KEY],
      useFactory: async (
        connection: RedisConnection,
        config: ConfigType<typeof rateLimitConfig>,
      ): Promise<RateLimitStore> => {
        await connection.connect();
        return connection.client
          ? new RedisRateLimitStore(connection.client, config.redisKeyPrefix)
          : new InMemoryRateLimitStore();
      },
    },
    {
      provide: ConnectionSlots,
      // After RateLimitStore's factory, which connects (or refuses to boot).
      inject: [RedisConnection, rateLimitConfig.KEY, RateLimitStore],
      useFactory: (
        connection: RedisConnection,
        config: ConfigType<typeof rateLimitConfig>,
      ): ConnectionSlots =>
        connection.client
          ? new RedisConnectionSlots(connection.client, config.redisKeyPrefix)
          : new InMemoryConnectionSlots(),
    },
  ],
  exports: [RateLimitStore, ConnectionSlots],
})
export class RateLimitModule {}
