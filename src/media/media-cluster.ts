import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { NodeDirectory } from '../cluster/node-directory.js';
import { type NodeRequests, NodeRpc } from '../cluster/node-rpc.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind, ProducerInfo, RoomMediaStats } from '../protocol/events.js';
import { toMediaError } from './media-errors.js';
import { MediaNotifier } from './media-notifier.js';
import { ProducerStore } from './producer-registry.js';
import { defaultSource } from '../protocol/screen-share.js';

interface MuteRequest {
  roomId: string;
  participantId: string;
  kind: MediaKind;
}

declare module '../cluster/node-rpc.js' {
  interface NodeRequests {
    /** Pauses the participant's `kind` producers on that node; the ids it paused. */
    'media.mute': { request: MuteRequest; response: string[] };
    /** Closes the participant's screen share on that node; the producer ids it closed. */
    'media.stopShare': { request: { roomId: string; participantId: string }; response: string[] };
    /** That node's part of a room's media stats. */
    'media.stats': { request: { roomId: string }; response: RoomMediaStats };
  }
}

/** What this node answers for the others (MediaService's local operations). */
export interface LocalMediaHandlers {
  mute(request: MuteRequest): Promise<string[]>;
  stopShare(request: { roomId: string; participantId: string }): Promise<string[]>;
  stats(request: { roomId: string }): Promise<RoomMediaStats>;
}

/**
 * The media state several nodes share: the producer registry (every producer with the node it
 * lives on), announcing a producer's close exactly once (by its owner, or for a dead node by
 * whichever node removes its entries first), and the operations that reach every node holding
 * a participant's producers. With one node the registry is in memory and requests stay local.
 */
@Injectable()
export class MediaCluster implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('MediaCluster');
  private readonly onNodeDown = ({ nodeId }: { nodeId: string }) => void this.forgetNode(nodeId);

  constructor(
    private readonly store: ProducerStore,
    private readonly rpc: NodeRpc,
    private readonly directory: NodeDirectory,
    private readonly notifier: MediaNotifier,
  ) {}

  get nodeId(): string {
    return this.directory.nodeId;
  }

  onModuleInit(): void {
    this.directory.events.on('node.down', this.onNodeDown);
  }

  onModuleDestroy(): void {
    this.directory.events.off('node.down', this.onNodeDown);
  }

  serve(handlers: LocalMediaHandlers): void {
    this.rpc.handle('media.mute', (request) => handlers.mute(request));
    this.rpc.handle('media.stopShare', (request) => handlers.stopShare(request));
    this.rpc.handle('media.stats', (request) => handlers.stats(request));
  }

  /** Lists a new producer of this node; resolves once other nodes can find it. */
  register(roomId: string, producer: ProducerInfo): Promise<void> {
    return this.store.add(roomId, { ...producer, nodeId: this.nodeId });
  }

  /** Unlists a closed producer (after its registration settled) and tells the room, unless a node.down cleanup did already. */
  unregister(roomId: string, producer: ProducerInfo, registered: Promise<void>): void {
    const announce = () =>
      this.notifier.producerClosed(roomId, {
        producerId: producer.producerId,
        participantId: producer.participantId,
      });
    registered
      .then(
        () => this.store.remove(roomId, producer.producerId, this.nodeId),
        () => false, // never listed, so nobody else knows it: nothing to announce
      )
      .then(
        (removed) => removed && announce(),
        (error: unknown) => {
          this.logger.warn({ err: error, roomId }, 'could not unlist a closed producer');
          announce();
        },
      );
  }

  setPaused(roomId: string, producerId: string, paused: boolean): void {
    this.store
      .setPaused(roomId, producerId, paused)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, roomId, producerId }, 'could not record a pause'),
      );
  }

  async list(roomId: string): Promise<ProducerInfo[]> {
    const entries = await this.store.list(roomId).catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'list the producers');
    });
    return entries.map(({ producerId, participantId, kind, paused, source }) => ({
      producerId,
      participantId,
      kind,
      // Entries written by a node from before sources: the camera or microphone.
      source: source ?? defaultSource(kind),
      paused,
    }));
  }

  /** Whether the participant has a producer in the room on any node. */
  async hasProducers(roomId: string, participantId: string): Promise<boolean> {
    const entries = await this.store.list(roomId).catch(() => []);
    return entries.some((e) => e.participantId === participantId);
  }

  /** The live node that holds a producer of the room other than this one. */
  async locate(roomId: string, producerId: string): Promise<string> {
    const entry = await this.store.find(roomId, producerId).catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'find the producer');
    });
    if (!entry || entry.nodeId === this.nodeId || !(await this.directory.isLiveNow(entry.nodeId)))
      throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such producer in this room');
    return entry.nodeId;
  }

  /** Mutes on this node and on every node the registry lists a producer of the participant on. */
  mute(roomId: string, participantId: string, kind: MediaKind): Promise<string[]> {
    return this.onNodesOf(participantId, 'media.mute', { roomId, participantId, kind });
  }

  /** Stops the participant's screen share wherever it lives; the producer ids closed. */
  stopShare(roomId: string, participantId: string): Promise<string[]> {
    return this.onNodesOf(participantId, 'media.stopShare', { roomId, participantId });
  }

  /**
   * Asks this node and every node the registry lists a producer of the participant on; the ids
   * they answer (a node that fails is logged and left out, unless it is this one).
   */
  private async onNodesOf<M extends 'media.mute' | 'media.stopShare'>(
    participantId: string,
    method: M,
    request: NodeRequests[M]['request'],
  ): Promise<string[]> {
    const { roomId } = request;
    const entries = await this.store.list(roomId).catch(() => []);
    const nodes = new Set([
      this.nodeId,
      ...entries.filter((e) => e.participantId === participantId).map((e) => e.nodeId),
    ]);
    const results = await Promise.allSettled(
      [...nodes].map((nodeId) => this.rpc.request(nodeId, method, request as never)),
    );
    const ids: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') ids.push(...(result.value as string[]));
      else this.logger.warn({ err: result.reason as unknown, roomId, method }, 'a node failed');
    }
    const local = results[0];
    if (local?.status === 'rejected') throw local.reason as Error;
    return ids;
  }

  /** The other live nodes' parts of a room's stats (a node that does not answer is left out). */
  async otherStats(roomId: string): Promise<RoomMediaStats[]> {
    const others = (await this.directory.liveNodesNow()).filter((n) => n !== this.nodeId);
    const results = await Promise.allSettled(
      others.map((nodeId) => this.rpc.request(nodeId, 'media.stats', { roomId })),
    );
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** A dead node's producers leave the registry; the node that removed them tells the room. */
  private async forgetNode(nodeId: string): Promise<void> {
    try {
      const removed = await this.store.removeNode(nodeId);
      for (const { roomId, entry } of removed) {
        this.notifier.producerClosed(roomId, {
          producerId: entry.producerId,
          participantId: entry.participantId,
        });
      }
      if (removed.length > 0)
        this.logger.warn(
          { nodeId, producers: removed.length },
          'closed the producers of a dead node',
        );
    } catch (error) {
      this.logger.error({ err: error, nodeId }, 'could not remove the producers of a dead node');
    }
  }
}
