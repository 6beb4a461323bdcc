import { Global, Module } from '@nestjs/common';
import { RedisConnection } from './redis-connection.js';

/**
 * The Redis behind everything several nodes share (rate limits, connection caps, presence, the
 * Socket.IO adapter, requests between nodes), when `REDIS_URL` is set. Without it, each of
 * those features uses its single-node implementation.
 */
@Global()
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class RedisModule {}
