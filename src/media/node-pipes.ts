import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { types } from 'mediasoup';
import { NodeDirectory } from '../cluster/node-directory.js';
import { type NodeRequests, NodeRpc } from '../cluster/node-rpc.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind, MediaSource, PipeStats } from '../protocol/events.js';
import { sourceOfProducer } from './participant-media.js';
import { type PlacedProducer, type RoomRouter, RoomRouters } from './room-routers.js';
import { WorkerPool } from './worker-pool.js';

interface PipeEnd {
  ip: string;
  port: number;
  srtp?: types.SrtpParameters;
}

declare module '../cluster/node-rpc.js' {
  interface NodeRequests {
    /** The consuming node's end of a (room, node) pipe; the answer is the source node's end. */
    'media.pipe.open': { request: PipeEnd & { roomId: string }; response: PipeEnd };
    /** Sends one producer of the source node down the pipe; what the other side needs to produce it. */
    'media.pipe.consume': {
      request: { roomId: string; producerId: string };
      response: {
        kind: MediaKind;
        rtpParameters: types.RtpParameters;
        paused: boolean;
        participantId: string;
        /** Carried to the copy, so a viewer on the other node sees a share as a share. */
        source: MediaSource;
      };
    };
    /** The consuming node no longer needs one producer (producerId) or the whole pipe. */
    'media.pipe.close': { request: { roomId: string; producerId?: string }; response: object };
    /** The source producer paused, resumed or closed: its piped copy follows. */
    'media.pipe.state': {
      request: { roomId: string; producerId: string; state: 'paused' | 'resumed' | 'closed' };
      response: object;
    };
  }
}

/** On the consuming node: the pipe from one node for one room, and the copies it carries. */
interface IncomingPipe {
  readonly key: string;
  readonly nodeId: string;
  readonly room: RoomRouter;
  readonly transport: types.PipeTransport;
  /** producerId -> the copy and how many local consumers use it. */
  readonly producers: Map<string, { producer: Promise<types.Producer>; users: number }>;
  /** The source knows it is closing (it asked, it is gone, or it was told): nothing to tell it. */
  quiet: boolean;
}

/** On the source node: the pipe to one node for one room, and the consumers feeding it. */
interface OutgoingPipe {
  readonly room: RoomRouter;
  readonly transport: types.PipeTransport;
  readonly consumers: Map<string, types.Consumer>;
  /** The other node closed (or asked to close) it: nothing to tell it. */
  quiet: boolean;
}

/** Finds a producer of this node in a room (MediaService's lookup). */
export type LocalProducerLookup = (roomId: string, producerId: string) => PlacedProducer;

const pipeKey = (roomId: string, nodeId: string) => `${roomId} ${nodeId}`;

/**
 * Producers of other nodes, piped in: one PipeTransport pair per (room, other node), created on
 * first use on both sides over NodeRpc and reused for every producer; each producer is consumed
 * on its node and produced here with the same id. A copy lives while local consumers use it
 * (`acquire`/`release`), the pair while it carries a copy. Pause, resume and close of the source
 * follow to the copy; when a node goes down its pipes close here (and with them the copies and
 * their consumers).
 */
@Injectable()
export class NodePipes implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('NodePipes');
  private readonly incoming = new Map<string, Promise<IncomingPipe>>();
  private readonly outgoing = new Map<string, OutgoingPipe>();
  private lookup: LocalProducerLookup = () => {
    throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such producer in this room');
  };

  private readonly onNodeDown = ({ nodeId }: { nodeId: string }) => this.dropNode(nodeId);

  constructor(
    private readonly rpc: NodeRpc,
    private readonly directory: NodeDirectory,
    private readonly routers: RoomRouters,
    private readonly pool: WorkerPool,
  ) {}

  onModuleInit(): void {
    this.directory.events.on('node.down', this.onNodeDown);
    this.rpc.handle('media.pipe.open', (req, from) => this.open(req, from));
    this.rpc.handle('media.pipe.consume', (req, from) => this.sendDown(req, from));
    this.rpc.handle('media.pipe.close', (req, from) => Promise.resolve(this.closeOut(req, from)));
    this.rpc.handle('media.pipe.state', (req, from) => this.follow(req, from));
  }

  onModuleDestroy(): void {
    this.directory.events.off('node.down', this.onNodeDown);
  }

  /** How this node finds its own producers when another node asks for one. */
  serveFrom(lookup: LocalProducerLookup): void {
    this.lookup = lookup;
  }

  /** The copy of another node's producer on this node's room router; call `release` when its consumer is gone. */
  async acquire(roomId: string, nodeId: string, producerId: string): Promise<PlacedProducer> {
    for (let attempt = 0; ; attempt++) {
      const pipe = await this.pipeFrom(roomId, nodeId);
      if (pipe.transport.closed && attempt < 2) continue; // torn down meanwhile: a new pair
      let copy = pipe.producers.get(producerId);
      if (!copy) {
        const pending = this.copy(pipe, roomId, producerId);
        copy = { producer: pending, users: 0 };
        pipe.producers.set(producerId, copy);
      }
      copy.users++;
      try {
        return { producer: await copy.producer, room: pipe.room };
      } catch (error) {
        this.release(roomId, nodeId, producerId);
        throw error;
      }
    }
  }

  /** One local consumer of a copy is gone; the last one closes the copy, the last copy the pipe pair. */
  release(roomId: string, nodeId: string, producerId: string): void {
    const key = pipeKey(roomId, nodeId);
    void this.incoming.get(key)?.then(
      (pipe) => {
        const copy = pipe.producers.get(producerId);
        if (!copy || --copy.users > 0) return;
        pipe.producers.delete(producerId);
        copy.producer.then(
          (p) => p.close(),
          () => undefined,
        );
        if (pipe.producers.size > 0) {
          this.tell(nodeId, 'media.pipe.close', { roomId, producerId });
          return;
        }
        this.incoming.delete(key);
        pipe.transport.close(); // tells the source (its close observer)
      },
      () => undefined,
    );
  }

  /** This node's pipes of a room, both ways, with the producers each carries now. */
  async stats(roomId: string): Promise<PipeStats[]> {
    const stats: PipeStats[] = [];
    for (const [key, pending] of this.incoming) {
      if (!key.startsWith(`${roomId} `)) continue;
      const pipe = await pending.catch(() => undefined);
      if (pipe && !pipe.transport.closed)
        stats.push({ direction: 'in', peer: pipe.nodeId, producers: pipe.producers.size });
    }
    for (const [key, pipe] of this.outgoing) {
      if (key.startsWith(`${roomId} `) && !pipe.transport.closed)
        stats.push({
          direction: 'out',
          peer: key.slice(roomId.length + 1),
          producers: pipe.consumers.size,
        });
    }
    return stats;
  }

  /** Pipes with `nodeId` (both ways) close: its copies here close, and their consumers with them. */
  private dropNode(nodeId: string): void {
    for (const [key, pending] of [...this.incoming]) {
      if (!key.endsWith(` ${nodeId}`)) continue;
      this.incoming.delete(key);
      pending.then(
        (pipe) => {
          pipe.quiet = true;
          pipe.transport.close();
        },
        () => undefined,
      );
    }
    for (const [key, pipe] of [...this.outgoing]) {
      if (!key.endsWith(` ${nodeId}`)) continue;
      pipe.quiet = true;
      pipe.transport.close();
    }
  }

  private pipeFrom(roomId: string, nodeId: string): Promise<IncomingPipe> {
    const key = pipeKey(roomId, nodeId);
    const existing = this.incoming.get(key);
    if (existing) return existing;
    const pending = this.connectPipe(key, roomId, nodeId);
    this.incoming.set(key, pending);
    const forget = () => {
      if (this.incoming.get(key) === pending) this.incoming.delete(key);
    };
    pending.then((pipe) => {
      // Closed here for any reason (last copy gone, router closed): the source closes its end.
      pipe.transport.observer.once('close', () => {
        forget();
        if (!pipe.quiet) this.tell(nodeId, 'media.pipe.close', { roomId });
      });
    }, forget);
    return pending;
  }

  private async connectPipe(key: string, roomId: string, nodeId: string): Promise<IncomingPipe> {
    const room = await this.routers.get(roomId);
    const transport = await this.createPipe(room, nodeId);
    try {
      const remote = await this.rpc.request(nodeId, 'media.pipe.open', {
        roomId,
        ...this.endOf(transport),
      });
      await transport.connect({ ip: remote.ip, port: remote.port, srtpParameters: remote.srtp });
    } catch (error) {
      transport.close();
      throw error;
    }
    this.logger.log({ roomId, nodeId }, 'pipe from another node opened');
    return { key, nodeId, room, transport, producers: new Map(), quiet: false };
  }

  private async copy(
    pipe: IncomingPipe,
    roomId: string,
    producerId: string,
  ): Promise<types.Producer> {
    const source = await this.rpc.request(pipe.nodeId, 'media.pipe.consume', {
      roomId,
      producerId,
    });
    return pipe.transport.produce({
      id: producerId,
      kind: source.kind,
      rtpParameters: source.rtpParameters,
      paused: source.paused,
      appData: {
        roomId,
        participantId: source.participantId,
        source: source.source,
        pipedFrom: pipe.nodeId,
      },
    });
  }

  // The source side.

  private async open(request: PipeEnd & { roomId: string }, from: string): Promise<PipeEnd> {
    const key = pipeKey(request.roomId, from);
    const previous = this.outgoing.get(key);
    if (previous) {
      previous.quiet = true;
      previous.transport.close();
    }
    const room = await this.routers.get(request.roomId);
    const transport = await this.createPipe(room, from);
    await transport.connect({
      ip: request.ip,
      port: request.port,
      srtpParameters: request.srtp,
    });
    const pipe: OutgoingPipe = { room, transport, consumers: new Map(), quiet: false };
    this.outgoing.set(key, pipe);
    transport.observer.once('close', () => {
      if (this.outgoing.get(key) === pipe) this.outgoing.delete(key);
    });
    return this.endOf(transport);
  }

  private async sendDown(
    request: { roomId: string; producerId: string },
    from: string,
  ): Promise<NodeRequests['media.pipe.consume']['response']> {
    const { roomId, producerId } = request;
    const pipe = this.outgoing.get(pipeKey(roomId, from));
    if (!pipe) throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No pipe to this node');
    const source = this.lookup(roomId, producerId);
    const producer = await this.routers.producerOn(source, pipe.room);
    pipe.consumers.get(producerId)?.close();
    const consumer = await pipe.transport.consume({ producerId: producer.id });
    pipe.consumers.set(producerId, consumer);
    const tell = (state: 'paused' | 'resumed' | 'closed') => {
      if (!pipe.quiet) this.tell(from, 'media.pipe.state', { roomId, producerId, state });
    };
    consumer.observer.on('pause', () => tell('paused'));
    consumer.observer.on('resume', () => tell('resumed'));
    consumer.observer.once('close', () => {
      if (pipe.consumers.get(producerId) !== consumer) return; // released or replaced
      pipe.consumers.delete(producerId);
      tell('closed');
    });
    return {
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      participantId: String(source.producer.appData.participantId),
      source: sourceOfProducer(source.producer),
    };
  }

  private closeOut(request: { roomId: string; producerId?: string }, from: string): object {
    const key = pipeKey(request.roomId, from);
    const pipe = this.outgoing.get(key);
    if (!pipe) return {};
    if (request.producerId === undefined) {
      pipe.quiet = true;
      this.outgoing.delete(key);
      pipe.transport.close();
      return {};
    }
    const consumer = pipe.consumers.get(request.producerId);
    pipe.consumers.delete(request.producerId);
    consumer?.close();
    return {};
  }

  // The consuming side, told by the source.

  private async follow(
    request: { roomId: string; producerId: string; state: 'paused' | 'resumed' | 'closed' },
    from: string,
  ): Promise<object> {
    const pipe = await this.incoming.get(pipeKey(request.roomId, from))?.catch(() => undefined);
    const copy = pipe?.producers.get(request.producerId);
    const producer = await copy?.producer.catch(() => undefined);
    if (!producer || producer.closed) return {};
    if (request.state === 'closed') producer.close();
    else if (request.state === 'paused') await producer.pause();
    else await producer.resume();
    return {};
  }

  private createPipe(room: RoomRouter, nodeId: string): Promise<types.PipeTransport> {
    return room.router.createPipeTransport({
      listenIp: { ip: this.pool.listenIp, announcedIp: this.pool.announcedIp },
      enableSrtp: true,
      appData: { pipeNode: nodeId },
    });
  }

  /** This end's address as the other node must reach it: the announced address if there is one. */
  private endOf(transport: types.PipeTransport): PipeEnd {
    return {
      ip: this.pool.announcedIp ?? transport.tuple.localIp,
      port: transport.tuple.localPort,
      srtp: transport.srtpParameters,
    };
  }

  private tell<M extends 'media.pipe.close' | 'media.pipe.state'>(
    nodeId: string,
    method: M,
    request: NodeRequests[M]['request'],
  ): void {
    this.rpc
      .request(nodeId, method, request as never)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, nodeId, method }, 'could not tell the other node'),
      );
  }
}
