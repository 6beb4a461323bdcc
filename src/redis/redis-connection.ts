import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { type ClusterConfig, clusterConfig } from '../config/configuration.js';

const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Redis connections, when `REDIS_URL` is set; all closed on shutdown.
 * - `client`: answers now or not at all (no offline queue, short timeout). For rate limits,
 *   connection caps and presence, which must never queue behind a reconnect.
 * - `dedicated(name)`: a connection of its own for blocking reads and subscriptions (the
 *   Socket.IO adapter, requests between nodes); it queues while Redis is away and reconnects.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  readonly client: Redis | undefined;
  private readonly others: Redis[] = [];
  private connecting: Promise<void> | undefined;

  constructor(@Inject(clusterConfig.KEY) private readonly config: ClusterConfig) {
    if (!config.redisUrl) return;
    this.client = this.open('default', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
    });
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** The prefix of every key and channel convene uses (several deployments may share a Redis). */
  get keyPrefix(): string {
    return this.config.redisKeyPrefix;
  }

  /** A configured Redis must answer at boot: a wrong REDIS_URL stops the process. */
  connect(): Promise<void> {
    this.connecting ??= this.connectOnce();
    return this.connecting;
  }

  /** A new connection for blocking reads or subscriptions, connected, closed on shutdown. */
  async dedicated(name: string): Promise<Redis> {
    if (!this.config.redisUrl) throw new Error('REDIS_URL is not set');
    const client = this.open(name, { maxRetriesPerRequest: null });
    this.others.push(client);
    await client.connect();
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const client of [...this.others, ...(this.client ? [this.client] : [])]) {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
  }

  private open(name: string, options: RedisOptions): Redis {
    const client = new Redis(this.config.redisUrl as string, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      connectionName: `convene:${this.config.nodeId}:${name}`,
      ...options,
    });
    client.on('error', (error: Error) =>
      this.logger.debug({ err: error, connection: name }, 'redis error'),
    );
    return client;
  }

  private async connectOnce(): Promise<void> {
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
}
