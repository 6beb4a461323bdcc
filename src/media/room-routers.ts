import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { types } from 'mediasoup';
import { mediaConfig, type MediaConfig } from '../config/configuration.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { ROUTER_MEDIA_CODECS } from './media-codecs.js';
import { MediaNotifier } from './media-notifier.js';
import { type MediaWorker, WorkerPool } from './worker-pool.js';

/** One of a room's routers, on one worker, with the observer that picks the loudest speaker. */
export interface RoomRouter {
  readonly roomId: string;
  readonly router: types.Router;
  readonly worker: MediaWorker;
  readonly speakers: types.AudioLevelObserver;
  /** Client transports (WebRTC and plain) on this router, for the per-router limit. */
  transports: number;
}

/** A room on this node: its routers (the first is where pipes from other nodes land). */
interface Room {
  readonly roomId: string;
  readonly routers: RoomRouter[];
  /** `routerId producerId` -> the producer on that router (a pipeToRouter copy), being made or made. */
  readonly copies: Map<string, Promise<types.Producer>>;
  /** Another router being added (one at a time). */
  growing?: Promise<RoomRouter>;
}

/** A producer and the router it lives on. */
export interface PlacedProducer {
  readonly producer: types.Producer;
  readonly room: RoomRouter;
}

/**
 * Every room router's active-speaker observer: the loudest voice only, sampled every 500 ms, at
 * mediasoup's default threshold (tuned for speech). Exported for bench/media-consumers.bench.ts.
 */
export const SPEAKER_OBSERVER_OPTIONS = {
  maxEntries: 1,
  threshold: -80,
  interval: 500,
} as const satisfies types.AudioLevelObserverOptions;

/**
 * A room's routers on this node: the first created lazily on the least-loaded worker; when each
 * has CONVENE_MEDIA_ROUTER_MAX_TRANSPORTS client transports, new transports go to a router on
 * another worker, and producers are piped between the room's routers (`pipeToRouter`) when a
 * consumer on another router needs them. All are closed a grace period after the room empties
 * (a quick rejoin keeps them). Worker death is handled here, in `onWorkerDied`.
 */
@Injectable()
export class RoomRouters implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RoomRouters');
  private readonly rooms = new Map<string, Room>();
  private readonly creating = new Map<string, Promise<RoomRouter>>();
  private readonly closeTimers = new Map<string, NodeJS.Timeout>();
  private destroyed = false;

  /**
   * What happens when a worker dies, all of it: mediasoup has closed the worker's routers (and
   * every transport, producer and consumer on them, which leave each ParticipantMedia by their
   * close observers) and WorkerPool is replacing the process. Each room that had its router
   * there and still has people gets a new router on a live worker, and its clients are told to
   * create their transports again.
   */
  private readonly onWorkerDied = (): void => {
    for (const room of [...this.rooms.values()]) {
      const dead = room.routers.filter((r) => r.worker.worker.died);
      if (dead.length === 0) continue;
      for (const router of dead) this.forget(router);
      if (this.destroyed) continue;
      this.recover(room.roomId).catch((error: unknown) =>
        this.logger.error({ err: error, roomId: room.roomId }, 'could not rebuild the room router'),
      );
    }
  };

  constructor(
    private readonly pool: WorkerPool,
    private readonly membership: RoomMembership,
    private readonly notifier: MediaNotifier,
    @Inject(mediaConfig.KEY) private readonly config: MediaConfig,
  ) {}

  onModuleInit(): void {
    this.pool.events.on('worker.died', this.onWorkerDied);
  }

  onModuleDestroy(): void {
    this.pool.events.off('worker.died', this.onWorkerDied);
    this.destroyed = true;
    for (const timer of this.closeTimers.values()) clearTimeout(timer);
    this.closeTimers.clear();
    for (const room of [...this.rooms.values()]) for (const r of room.routers) r.router.close();
  }

  /** The room's first router, creating it on first use; also cancels a pending close. */
  get(roomId: string): Promise<RoomRouter> {
    this.cancelClose(roomId);
    const existing = this.rooms.get(roomId)?.routers[0];
    if (existing && !existing.router.closed) return Promise.resolve(existing);
    let pending = this.creating.get(roomId);
    if (!pending) {
      pending = this.create(roomId).finally(() => this.creating.delete(roomId));
      this.creating.set(roomId, pending);
    }
    return pending;
  }

  /** The router a new client transport of the room goes to: the first one under the limit, else a new one on another worker. */
  async forTransport(roomId: string): Promise<RoomRouter> {
    const first = await this.get(roomId);
    const room = this.rooms.get(roomId);
    if (!room) return first;
    const open = room.routers.find((r) => r.transports < this.config.routerMaxTransports);
    if (open) return open;
    room.growing ??= this.grow(room).finally(() => (room.growing = undefined));
    return room.growing;
  }

  /** The room's first router, if it has one now. */
  peek(roomId: string): RoomRouter | undefined {
    return this.rooms.get(roomId)?.routers[0];
  }

  /** Every router of the room on this node. */
  routersOf(roomId: string): readonly RoomRouter[] {
    return this.rooms.get(roomId)?.routers ?? [];
  }

  /**
   * The producer as it exists on `target`: itself if it lives there, else a copy piped from its
   * router (made once per router and producer; it closes with the original).
   */
  async producerOn(source: PlacedProducer, target: RoomRouter): Promise<types.Producer> {
    if (source.room.router === target.router) return source.producer;
    const room = this.rooms.get(target.roomId);
    if (!room) throw new Error('the room has no routers');
    const key = `${target.router.id} ${source.producer.id}`;
    let copy = room.copies.get(key);
    if (!copy) {
      copy = source.room.router
        .pipeToRouter({ producerId: source.producer.id, router: target.router })
        .then(({ pipeProducer }) => {
          if (!pipeProducer) throw new Error('pipeToRouter made no producer');
          pipeProducer.observer.once('close', () => room.copies.delete(key));
          return pipeProducer;
        });
      copy.catch(() => room.copies.delete(key));
      room.copies.set(key, copy);
    }
    return copy;
  }

  /** Closes the room's routers (and so every transport, producer and consumer on them) now. */
  close(roomId: string): void {
    this.cancelClose(roomId);
    for (const r of [...(this.rooms.get(roomId)?.routers ?? [])]) r.router.close();
    // A router still being created for a closed room is closed as soon as it exists.
    this.creating.get(roomId)?.then(
      (room) => room.router.close(),
      () => undefined,
    );
  }

  /** Closes the routers after the grace period unless someone is in the room by then. */
  closeWhenEmpty(roomId: string): void {
    if (!this.rooms.has(roomId) || this.closeTimers.has(roomId) || this.destroyed) return;
    const timer = setTimeout(() => {
      this.closeTimers.delete(roomId);
      this.membership.members(roomId).then(
        (members) => {
          if (members.length > 0 || this.closeTimers.has(roomId)) return;
          this.logger.log({ roomId }, 'closing the router of an empty room');
          this.close(roomId);
        },
        (error: unknown) =>
          this.logger.error({ err: error, roomId }, 'could not check whether the room is empty'),
      );
    }, this.config.roomGraceSeconds * 1000);
    timer.unref();
    this.closeTimers.set(roomId, timer);
  }

  cancelClose(roomId: string): void {
    const timer = this.closeTimers.get(roomId);
    if (timer) clearTimeout(timer);
    this.closeTimers.delete(roomId);
  }

  private create(roomId: string): Promise<RoomRouter> {
    return this.pool.leastLoaded().then((worker) => this.createOn(roomId, worker));
  }

  /** Another router for a full room, on a worker that has none of its routers if there is one. */
  private async grow(room: Room): Promise<RoomRouter> {
    const used = new Set(room.routers.map((r) => r.worker));
    const worker = await this.pool.leastLoaded(used);
    if (used.has(worker)) {
      // Every worker has one of the room's routers: the least busy of them takes it.
      return room.routers.reduce((best, r) => (r.transports < best.transports ? r : best));
    }
    return this.createOn(room.roomId, worker);
  }

  private async createOn(roomId: string, worker: MediaWorker): Promise<RoomRouter> {
    const router = await worker.worker.createRouter({
      mediaCodecs: ROUTER_MEDIA_CODECS,
      appData: { roomId },
    });
    const speakers = await router.createAudioLevelObserver(SPEAKER_OBSERVER_OPTIONS);
    let current: string | undefined;
    speakers.on('volumes', ([loudest]) => {
      const { participantId } = loudest.producer.appData;
      // Only changes are announced: the highlight stays on the last speaker through pauses.
      if (typeof participantId !== 'string' || participantId === current) return;
      current = participantId;
      this.notifier.activeSpeaker(roomId, participantId);
    });
    const placed: RoomRouter = { roomId, router, worker, speakers, transports: 0 };
    router.observer.on('newtransport', (transport) => {
      // Only client transports count: pipes between routers and nodes carry appData of their own.
      if (!('direction' in transport.appData)) return;
      placed.transports++;
      transport.observer.once('close', () => placed.transports--);
    });
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { roomId, routers: [], copies: new Map() };
      this.rooms.set(roomId, room);
    }
    room.routers.push(placed);
    router.observer.once('close', () => {
      // A dying worker closes its routers before WorkerPool emits `worker.died`: onWorkerDied.
      if (!worker.worker.died) this.forget(placed);
    });
    this.logger.log(
      { roomId, workerPid: worker.worker.pid, routers: room.routers.length },
      'room router created',
    );
    return placed;
  }

  private forget(placed: RoomRouter): void {
    const room = this.rooms.get(placed.roomId);
    const index = room?.routers.indexOf(placed) ?? -1;
    if (!room || index < 0) return;
    room.routers.splice(index, 1);
    for (const key of [...room.copies.keys()])
      if (key.startsWith(`${placed.router.id} `)) room.copies.delete(key);
    if (room.routers.length > 0) return;
    this.rooms.delete(placed.roomId);
    this.cancelClose(placed.roomId);
  }

  /** A new router for a room whose worker died, if it still has people; they rebuild their media. */
  private async recover(roomId: string): Promise<void> {
    if ((await this.membership.members(roomId)).length === 0) return;
    // Everyone rebuilds: the room's other routers stay, and new transports fill them first.
    const room = await this.get(roomId);
    this.logger.warn(
      { roomId, workerPid: room.worker.worker.pid },
      'room router rebuilt after a worker died',
    );
    this.notifier.restart(roomId, 'The media server restarted; create your transports again');
  }
}
