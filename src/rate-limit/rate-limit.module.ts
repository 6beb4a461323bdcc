import { Global, Module } from '@nestjs/common';
import { RedisConnection } from '../redis/redis-connection.js';
import { ConnectionSlots, InMemoryConnectionSlots } from './connection-slots.js';
import { InMemoryRateLimitStore } from './in-memory-rate-limit.store.js';
import { RateLimitStore } from './rate-limit.store.js';
import { RedisConnectionSlots } from './redis-connection-slots.js';
import { RedisRateLimitStore } from './redis-rate-limit.store.js';

/**
 * Rate-limit counters and connection caps for every feature: Redis when configured (shared by
 * nodes), else memory.
 */
@Global()
@Module({
  providers: [
    {
      provide: RateLimitStore,
      inject: [RedisConnection],
      useFactory: async (connection: RedisConnection): Promise<RateLimitStore> => {
        await connection.connect();
        return connection.client
          ? new RedisRateLimitStore(connection.client, connection.keyPrefix)
          : new InMemoryRateLimitStore();
      },
    },
    {
      provide: ConnectionSlots,
      // After RateLimitStore's factory, which connects (or refuses to boot).
      inject: [RedisConnection, RateLimitStore],
      useFactory: (connection: RedisConnection): ConnectionSlots =>
        connection.client
          ? new RedisConnectionSlots(connection.client, connection.keyPrefix)
          : new InMemoryConnectionSlots(),
    },
  ],
  exports: [RateLimitStore, ConnectionSlots],
})
export class RateLimitModule {}
