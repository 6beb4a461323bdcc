import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DomainError } from '../common/domain-error.js';
import { type ClusterConfig, clusterConfig } from '../config/configuration.js';
import { type ErrorBody, ErrorCode } from '../protocol/error-codes.js';
import { RedisConnection } from '../redis/redis-connection.js';

/**
 * Every request one node may make of another: features add theirs by declaration merging,
 * `declare module '../cluster/node-rpc.js' { interface NodeRequests { 'media.pipe': { request: X; response: Y } } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NodeRequests {}

export type NodeMethod = keyof NodeRequests;
type RequestOf<M extends NodeMethod> = NodeRequests[M] extends { request: infer R } ? R : never;
type ResponseOf<M extends NodeMethod> = NodeRequests[M] extends { response: infer R } ? R : never;
export type NodeHandler<M extends NodeMethod> = (
  request: RequestOf<M>,
  from: string,
) => Promise<ResponseOf<M>>;

interface RequestMessage {
  t: 'req';
  id: string;
  from: string;
  method: string;
  payload: unknown;
}
type ResponseMessage =
  | { t: 'res'; id: string; ok: true; result: unknown }
  | { t: 'res'; id: string; ok: false; error: ErrorBody };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Requests between nodes, with a response and a deadline, over Redis pub/sub (one channel per
 * node). A node that does not answer in time is treated as gone: the request fails with
 * SERVICE_UNAVAILABLE. Domain errors travel back with their code. A request to this node calls
 * its handler directly. Without Redis only this node exists.
 */
@Injectable()
export class NodeRpc implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('NodeRpc');
  private readonly handlers = new Map<
    string,
    (payload: unknown, from: string) => Promise<unknown>
  >();
  private readonly pending = new Map<string, Pending>();
  private subscriber: Redis | undefined;

  constructor(
    private readonly redis: RedisConnection,
    @Inject(clusterConfig.KEY) private readonly config: ClusterConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    await this.redis.connect();
    this.subscriber = await this.redis.dedicated('rpc');
    this.subscriber.on('message', (_channel: string, raw: string) => this.receive(raw));
    await this.subscriber.subscribe(this.channel(this.config.nodeId));
  }

  onApplicationShutdown(): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'This node is shutting down'));
      this.pending.delete(id);
    }
  }

  /** Serves `method` for other nodes (one handler per method). */
  handle<M extends NodeMethod>(method: M, handler: NodeHandler<M>): void {
    if (this.handlers.has(method)) throw new Error(`${String(method)} already has a handler`);
    this.handlers.set(method, handler as (payload: unknown, from: string) => Promise<unknown>);
  }

  /** Asks `nodeId` (possibly this node); rejects with SERVICE_UNAVAILABLE when it does not answer in time. */
  async request<M extends NodeMethod>(
    nodeId: string,
    method: M,
    request: RequestOf<M>,
    timeoutMs = this.config.requestTimeoutMs,
  ): Promise<ResponseOf<M>> {
    if (nodeId === this.config.nodeId) {
      const handler = this.handlers.get(method);
      if (!handler) throw new Error(`no handler for ${String(method)}`);
      return (await handler(request, nodeId)) as ResponseOf<M>;
    }
    const client = this.redis.client;
    if (!client) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `Node ${nodeId} is unknown`);
    const id = randomUUID();
    const message: RequestMessage = {
      t: 'req',
      id,
      from: this.config.nodeId,
      method,
      payload: request,
    };
    const response = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(unavailable(nodeId, 'did not answer in time'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    try {
      const receivers = await client.publish(this.channel(nodeId), JSON.stringify(message));
      if (receivers === 0) throw unavailable(nodeId, 'is not listening');
    } catch (error) {
      const pending = this.pending.get(id);
      if (pending) clearTimeout(pending.timer);
      this.pending.delete(id);
      throw error instanceof DomainError ? error : unavailable(nodeId, 'could not be reached');
    }
    return (await response) as ResponseOf<M>;
  }

  private channel(nodeId: string): string {
    return `${this.redis.keyPrefix}rpc:${nodeId}`;
  }

  private receive(raw: string): void {
    let message: RequestMessage | ResponseMessage;
    try {
      message = JSON.parse(raw) as RequestMessage | ResponseMessage;
    } catch {
      return;
    }
    if (message.t === 'res') {
      const pending = this.pending.get(message.id);
      if (!pending) return; // timed out already
      clearTimeout(pending.timer);
      this.pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new DomainError(message.error.code, message.error.message));
      return;
    }
    void this.serve(message);
  }

  private async serve(message: RequestMessage): Promise<void> {
    const handler = this.handlers.get(message.method);
    let response: ResponseMessage;
    try {
      if (!handler) throw new Error(`no handler for ${message.method}`);
      response = {
        t: 'res',
        id: message.id,
        ok: true,
        result: await handler(message.payload, message.from),
      };
    } catch (error) {
      if (!(error instanceof DomainError))
        this.logger.error(
          { err: error, method: message.method, from: message.from },
          'node request failed',
        );
      response = {
        t: 'res',
        id: message.id,
        ok: false,
        error:
          error instanceof DomainError
            ? { code: error.code, message: error.message }
            : { code: ErrorCode.INTERNAL, message: 'The other node failed' },
      };
    }
    await this.redis.client
      ?.publish(this.channel(message.from), JSON.stringify(response))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, method: message.method }, 'could not answer a node request'),
      );
  }
}

function unavailable(nodeId: string, what: string): DomainError {
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `Node ${nodeId} ${what}`);
}
