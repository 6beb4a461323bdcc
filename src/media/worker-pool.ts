import { EventEmitter } from 'node:events';
import os from 'node:os';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import {
  appConfig,
  type AppConfig,
  mediaConfig,
  type MediaConfig,
} from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';

/** One mediasoup worker process with its WebRtcServer (one UDP+TCP port for all its WebRTC transports). */
export interface MediaWorker {
  readonly index: number;
  readonly worker: types.Worker;
  readonly webRtcServer: types.WebRtcServer;
  readonly port: number;
  readonly routers: Set<types.Router>;
  transports: number;
}

export interface WorkerPoolEvents {
  /** A worker process died; mediasoup has already closed its routers and everything on them. */
  'worker.died': [{ index: number; pid: number }];
}

export interface WorkerSummary {
  index: number;
  pid: number;
  port: number;
  routers: number;
  transports: number;
}

const REPLACE_BACKOFF_MS = [100, 500, 2000, 5000];
/** In tests many apps start and stop; two workers are plenty and start fast. */
const TEST_DEFAULT_WORKERS = 2;

const isAddressInUse = (error: unknown) =>
  error instanceof Error && /address already in use/i.test(error.message);

/** How many media workers the pool keeps, and how many are running right now. */
export interface WorkerLiveness {
  workers: number;
  live: number;
}

/**
 * The mediasoup worker processes: started at boot, one per core unless configured. A worker
 * that dies is logged and replaced (its port is reused), and `worker.died` is emitted: what
 * lived on it is rebuilt by its one listener, RoomRouters.onWorkerDied. On shutdown routers are closed before WebRtcServers and workers (see
 * the shared mediasoup README: closing a WebRtcServer with live transports is what crashes).
 */
@Injectable()
export class WorkerPool implements OnModuleInit, OnApplicationShutdown {
  readonly events = new EventEmitter<WorkerPoolEvents>();
  /** What WebRTC/plain transports listen on and what they announce to clients. */
  readonly listenIp: string;
  readonly announcedIp: string | undefined;

  private readonly logger = new Logger('WorkerPool');
  private readonly size: number;
  private readonly slots: (MediaWorker | undefined)[];
  private readonly starting = new Map<number, Promise<MediaWorker>>();
  private closing = false;

  constructor(
    @Inject(mediaConfig.KEY) private readonly config: MediaConfig,
    @Inject(appConfig.KEY) app: AppConfig,
  ) {
    const cores = os.availableParallelism();
    this.size =
      config.workers ?? (app.nodeEnv === 'test' ? Math.min(TEST_DEFAULT_WORKERS, cores) : cores);
    this.slots = new Array<MediaWorker | undefined>(this.size).fill(undefined);
    this.listenIp = config.listenIp;
    this.announcedIp = config.announcedAddress ?? this.guessAnnouncedIp(config.listenIp);
  }

  /** Starts every worker; if one cannot start, the others are stopped and boot fails. */
  async onModuleInit(): Promise<void> {
    const results = await Promise.allSettled(this.slots.map((_, index) => this.start(index)));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      await this.onApplicationShutdown();
      throw failure.reason;
    }
    const started = this.slots.filter((s): s is MediaWorker => s !== undefined);
    this.logger.log(
      {
        workers: started.map((w) => ({ pid: w.worker.pid, port: w.port })),
        listenIp: this.listenIp,
        announcedIp: this.announcedIp,
      },
      'media workers started',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.starting.values());
    for (const [index, slot] of this.slots.entries()) {
      if (!slot) continue;
      this.slots[index] = undefined;
      for (const router of [...slot.routers]) router.close();
      slot.webRtcServer.close();
      slot.worker.close();
    }
  }

  /**
   * The live worker with the least load (transports, then routers), preferring one not in
   * `avoid` (the workers a room already uses); waits for a restarting one if none is live.
   */
  async leastLoaded(avoid?: ReadonlySet<MediaWorker>): Promise<MediaWorker> {
    const all = this.slots.filter((s): s is MediaWorker => s !== undefined && !s.worker.closed);
    const fresh = all.filter((s) => !avoid?.has(s));
    const live = fresh.length > 0 ? fresh : all;
    if (live.length > 0) {
      return live.reduce((best, s) => (this.load(s) < this.load(best) ? s : best));
    }
    if (this.starting.size > 0 && !this.closing) {
      return Promise.any(this.starting.values()).catch(() => {
        throw new DomainError(
          ErrorCode.MEDIA_UNAVAILABLE,
          'Media servers are restarting; try again',
        );
      });
    }
    throw new DomainError(ErrorCode.MEDIA_UNAVAILABLE, 'No media server is available');
  }

  /** How many workers the pool keeps, and how many run now (the others are being replaced). */
  liveness(): WorkerLiveness {
    const live = this.slots.filter((s) => s !== undefined && !s.worker.closed).length;
    return { workers: this.size, live };
  }

  summary(): WorkerSummary[] {
    return this.slots
      .filter((s): s is MediaWorker => s !== undefined)
      .map((s) => ({
        index: s.index,
        pid: s.worker.pid,
        port: s.port,
        routers: s.routers.size,
        transports: s.transports,
      }));
  }

  private load(slot: MediaWorker): number {
    return slot.transports + slot.routers.size;
  }

  private start(index: number): Promise<MediaWorker> {
    const pending = this.spawn(index).finally(() => this.starting.delete(index));
    this.starting.set(index, pending);
    return pending;
  }

  private async spawn(index: number): Promise<MediaWorker> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: this.config.rtcMinPort,
      rtcMaxPort: this.config.rtcMaxPort,
      appData: { index },
    });
    let server: { webRtcServer: types.WebRtcServer; port: number };
    try {
      server = await this.createWebRtcServer(worker, index);
    } catch (error) {
      worker.close();
      throw error;
    }
    const slot: MediaWorker = { index, worker, ...server, routers: new Set(), transports: 0 };
    if (this.closing) {
      server.webRtcServer.close();
      worker.close();
      return slot;
    }
    worker.observer.on('newrouter', (router) => {
      slot.routers.add(router);
      router.observer.once('close', () => slot.routers.delete(router));
      router.observer.on('newtransport', (transport) => {
        slot.transports++;
        transport.observer.once('close', () => slot.transports--);
      });
    });
    worker.on('died', (error) => this.onDied(slot, error));
    this.slots[index] = slot;
    return slot;
  }

  /**
   * Worker i prefers port min+i, so a pod exposes a known, small set of ports; if that one is
   * taken (another process on this host) it takes the next free port of the range.
   */
  private async createWebRtcServer(
    worker: types.Worker,
    index: number,
  ): Promise<{ webRtcServer: types.WebRtcServer; port: number }> {
    const { rtcMinPort: min, rtcMaxPort: max } = this.config;
    const span = max - min + 1;
    const taken = new Set(this.slots.filter((s) => s && s.index !== index).map((s) => s?.port));
    for (let attempt = 0; attempt < span; attempt++) {
      const port = min + ((index + attempt) % span);
      if (taken.has(port)) continue;
      const listenInfos = (['udp', 'tcp'] as const).map((protocol) => ({
        protocol,
        ip: this.listenIp,
        announcedIp: this.announcedIp,
        port,
      }));
      try {
        return { webRtcServer: await worker.createWebRtcServer({ listenInfos }), port };
      } catch (error) {
        if (!isAddressInUse(error)) throw error;
      }
    }
    throw new Error(
      `no free port for a WebRtcServer in CONVENE_RTC_MIN_PORT..CONVENE_RTC_MAX_PORT (${min}-${max})`,
    );
  }

  private onDied(slot: MediaWorker, error: Error): void {
    if (this.slots[slot.index] !== slot) return;
    this.slots[slot.index] = undefined;
    this.logger.error(
      { err: error, index: slot.index, pid: slot.worker.pid },
      'media worker died; replacing it',
    );
    this.events.emit('worker.died', { index: slot.index, pid: slot.worker.pid });
    this.replace(slot.index, 0);
  }

  private replace(index: number, attempt: number): void {
    if (this.closing) return;
    this.start(index).then(
      (slot) =>
        this.logger.warn({ index, pid: slot.worker.pid, port: slot.port }, 'media worker replaced'),
      (error: unknown) => {
        const delay = REPLACE_BACKOFF_MS[Math.min(attempt, REPLACE_BACKOFF_MS.length - 1)];
        this.logger.error(
          { err: error, index, attempt, retryInMs: delay },
          'media worker replacement failed',
        );
        setTimeout(() => this.replace(index, attempt + 1), delay).unref();
      },
    );
  }

  /** Listening on every interface without an announced address: announce the first external IPv4. */
  private guessAnnouncedIp(listenIp: string): string | undefined {
    if (listenIp !== '0.0.0.0' && listenIp !== '::') return undefined;
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    const guess = external?.address ?? '127.0.0.1';
    this.logger.warn(`CONVENE_ANNOUNCED_ADDRESS is not set; announcing ${guess} to WebRTC clients`);
    return guess;
  }
}
