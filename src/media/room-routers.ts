import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { types } from 'mediasoup';
import { mediaConfig, type MediaConfig } from '../config/configuration.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { ROUTER_MEDIA_CODECS } from './media-codecs.js';
import { MediaNotifier } from './media-notifier.js';
import { type MediaWorker, WorkerPool } from './worker-pool.js';

/** A room's router on one worker, with the observer that picks the loudest speaker. */
export interface RoomRouter {
  readonly roomId: string;
  readonly router: types.Router;
  readonly worker: MediaWorker;
  readonly speakers: types.AudioLevelObserver;
}

/** How often the loudest voice is sampled, and how loud it must be to count as speaking. */
const SPEAKER_INTERVAL_MS = 500;
const SPEAKER_THRESHOLD_DBOV = -80; // mediasoup's default, tuned for speech

/**
 * One router per room, created lazily on the least-loaded worker, closed a grace period after
 * the room empties (a quick rejoin keeps it). Worker death is handled here, in `onWorkerDied`.
 */
@Injectable()
export class RoomRouters implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RoomRouters');
  private readonly rooms = new Map<string, RoomRouter>();
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
      if (!room.worker.worker.died) continue;
      this.forget(room);
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
    for (const room of [...this.rooms.values()]) room.router.close();
  }

  /** The room's router, creating it on first use; also cancels a pending close. */
  get(roomId: string): Promise<RoomRouter> {
    this.cancelClose(roomId);
    const existing = this.rooms.get(roomId);
    if (existing && !existing.router.closed) return Promise.resolve(existing);
    let pending = this.creating.get(roomId);
    if (!pending) {
      pending = this.create(roomId).finally(() => this.creating.delete(roomId));
      this.creating.set(roomId, pending);
    }
    return pending;
  }

  peek(roomId: string): RoomRouter | undefined {
    return this.rooms.get(roomId);
  }

  /** Closes the room's router (and so every transport, producer and consumer on it) now. */
  close(roomId: string): void {
    this.cancelClose(roomId);
    this.rooms.get(roomId)?.router.close();
    // A router still being created for a closed room is closed as soon as it exists.
    this.creating.get(roomId)?.then(
      (room) => room.router.close(),
      () => undefined,
    );
  }

  /** Closes the router after the grace period unless someone is in the room by then. */
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

  private async create(roomId: string): Promise<RoomRouter> {
    const worker = await this.pool.leastLoaded();
    const router = await worker.worker.createRouter({
      mediaCodecs: ROUTER_MEDIA_CODECS,
      appData: { roomId },
    });
    const speakers = await router.createAudioLevelObserver({
      maxEntries: 1,
      threshold: SPEAKER_THRESHOLD_DBOV,
      interval: SPEAKER_INTERVAL_MS,
    });
    let current: string | undefined;
    speakers.on('volumes', ([loudest]) => {
      const { participantId } = loudest.producer.appData;
      // Only changes are announced: the highlight stays on the last speaker through pauses.
      if (typeof participantId !== 'string' || participantId === current) return;
      current = participantId;
      this.notifier.activeSpeaker(roomId, participantId);
    });
    const room: RoomRouter = { roomId, router, worker, speakers };
    this.rooms.set(roomId, room);
    router.observer.once('close', () => {
      // A dying worker closes its routers before WorkerPool emits `worker.died`: onWorkerDied.
      if (!worker.worker.died) this.forget(room);
    });
    this.logger.log({ roomId, workerPid: worker.worker.pid }, 'room router created');
    return room;
  }

  private forget(room: RoomRouter): void {
    if (this.rooms.get(room.roomId) !== room) return;
    this.rooms.delete(room.roomId);
    this.cancelClose(room.roomId);
  }

  /** A new router for a room whose worker died, if it still has people; they rebuild their media. */
  private async recover(roomId: string): Promise<void> {
    if ((await this.membership.members(roomId)).length === 0) return;
    const room = await this.get(roomId);
    this.logger.warn(
      { roomId, workerPid: room.worker.worker.pid },
      'room router rebuilt after a worker died',
    );
    this.notifier.restart(roomId, 'The media server restarted; create your transports again');
  }
}
