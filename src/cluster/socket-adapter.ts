import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { ClusterConfig } from '../config/configuration.js';
import type { RedisConnection } from '../redis/redis-connection.js';

/**
 * The Socket.IO adapter that carries emits to groups, `socketsJoin`, `disconnectSockets` and
 * `fetchSockets` to every node, or undefined on a single node. Redis Streams rather than pub/sub:
 * a node that loses Redis for a moment resumes the stream where it left off instead of missing
 * what was sent meanwhile; its heartbeat follows our node TTL, so a dead node's sockets stop
 * counting (in `fetchSockets`) as soon as its presence expires.
 */
export async function clusterSocketAdapter(
  redis: RedisConnection,
  config: ClusterConfig,
): Promise<unknown> {
  if (!redis.enabled) return undefined;
  const client = await redis.dedicated('socket.io');
  const ttlMs = config.nodeTtlSeconds * 1000;
  return createAdapter(client, {
    streamName: `${redis.keyPrefix}socket.io`,
    heartbeatInterval: Math.max(250, Math.floor(ttlMs / 4)),
    heartbeatTimeout: ttlMs,
  });
}
