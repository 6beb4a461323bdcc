import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import { mediaConfig, type MediaConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  ConsumerOptions,
  MediaKind,
  ProducerInfo,
  Role,
  RoomMediaStats,
  TransportDirection,
  TransportOptions,
} from '../protocol/events.js';
import { HostControls } from '../rooms/host-controls.js';
import { RoomEvents, type RoomEventMap } from '../rooms/room-events.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { toMediaError } from './media-errors.js';
import { MediaNotifier } from './media-notifier.js';
import { checkProducerKind, clientAppData } from './media-policy.js';
import { MediaCluster } from './media-cluster.js';
import { mergeRoomStats, roomMediaStats } from './media-stats.js';
import { NodePipes } from './node-pipes.js';
import { LocalMedia } from './local-media.js';
import type { OwnerAppData } from './participant-media.js';
import { type PlacedProducer, type RoomRouter, RoomRouters } from './room-routers.js';

/** Who is asking: from the verified socket identity, plus the connection that owns the media. */
export interface MediaCaller {
  roomId: string;
  participantId: string;
  role: Role;
  socketId: string;
}

/** What every transport carries: whose it is and which way it goes. */
export type TransportAppData = {
  roomId: string;
  participantId: string;
  direction: TransportDirection;
};

/**
 * Media per participant, one `ParticipantMedia` each (kept by `LocalMedia`), with the rules:
 * only your own objects, only producers of your room, consumers start paused, guests may be
 * audio-only. A participant's media is closed when they leave, are kicked, disconnect or the
 * room closes; what mediasoup closes underneath leaves their maps by itself (worker death: see
 * RoomRouters.onWorkerDied).
 */
@Injectable()
export class MediaService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('MediaService');
  private readonly local = new LocalMedia();

  private readonly onLeft = ({ roomId, participantId }: RoomEventMap['participant.left'][0]) => {
    this.release(roomId, participantId);
    this.routers.closeWhenEmpty(roomId);
  };
  private readonly onJoined = ({ roomId }: RoomEventMap['participant.joined'][0]) =>
    this.routers.cancelClose(roomId);
  private readonly onRoomClosed = ({ roomId }: RoomEventMap['room.closed'][0]) =>
    this.closeRoom(roomId);

  constructor(
    private readonly routers: RoomRouters,
    private readonly notifier: MediaNotifier,
    private readonly roomEvents: RoomEvents,
    private readonly membership: RoomMembership,
    private readonly cluster: MediaCluster,
    private readonly pipes: NodePipes,
    private readonly hostControls: HostControls,
    @Inject(mediaConfig.KEY) private readonly config: MediaConfig,
  ) {}

  onModuleInit(): void {
    this.pipes.serveFrom((roomId, producerId) => this.local.findProducer(roomId, producerId));
    this.cluster.serve({
      mute: ({ roomId, participantId, kind }) => this.muteHere(roomId, participantId, kind),
      stats: ({ roomId }) => this.localStats(roomId),
    });
    this.roomEvents.on('participant.left', this.onLeft);
    this.roomEvents.on('participant.joined', this.onJoined);
    this.roomEvents.on('room.closed', this.onRoomClosed);
  }

  onModuleDestroy(): void {
    this.roomEvents.off('participant.left', this.onLeft);
    this.roomEvents.off('participant.joined', this.onJoined);
    this.roomEvents.off('room.closed', this.onRoomClosed);
  }

  /** The room router's capabilities (creates the router on first use). */
  async rtpCapabilities(caller: MediaCaller): Promise<types.RtpCapabilities> {
    return (await this.routers.get(caller.roomId)).router.rtpCapabilities;
  }

  /** A WebRTC transport on the worker's WebRtcServer (one port per worker), owned by the caller's connection. */
  async createTransport(
    caller: MediaCaller,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    const transport = await this.openTransport(caller, direction, true, (room, appData) =>
      room.router.createWebRtcTransport({
        webRtcServer: room.worker.webRtcServer,
        enableUdp: true,
        enableTcp: true,
        preferUdp: true,
        appData,
      }),
    );
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * A transport that server-side code creates on the room's router (RTP sources and recorders;
   * tests with real RTP), owned by the caller's connection under the same limit and used with
   * produce/consume like a WebRTC one; connecting it is up to its creator. Not reachable from
   * clients.
   */
  serverTransport<T extends types.Transport>(
    caller: MediaCaller,
    direction: TransportDirection,
    create: (router: types.Router, appData: TransportAppData) => Promise<T>,
  ): Promise<T> {
    return this.openTransport(caller, direction, false, (room, appData) =>
      create(room.router, appData),
    );
  }

  async connectTransport(
    caller: MediaCaller,
    transportId: string,
    dtlsParameters: object,
  ): Promise<void> {
    const owned = this.local.current(caller).transport(transportId);
    if (!owned.webRtc)
      throw new DomainError(ErrorCode.MEDIA_REJECTED, 'This transport is not a WebRTC transport');
    await (owned.transport as types.WebRtcTransport)
      .connect({ dtlsParameters: dtlsParameters as types.DtlsParameters })
      .catch((error: unknown) => {
        throw toMediaError(error, ErrorCode.MEDIA_REJECTED, 'connect the transport');
      });
  }

  /**
   * Starts sending `kind` (only codecs of that kind) on one of the caller's send transports; the
   * room is told. Refused (MUTED_BY_HOST) while a host muted that kind hard.
   */
  async produce(
    caller: MediaCaller,
    request: {
      transportId: string;
      kind: MediaKind;
      rtpParameters: object;
      appData?: Record<string, unknown>;
    },
  ): Promise<string> {
    checkProducerKind(request, caller.role, this.config.guestAudioOnly);
    await this.assertNotMutedByHost(caller, request.kind);
    const state = this.local.current(caller);
    const owned = state.transport(request.transportId);
    if (owned.direction !== 'send')
      throw new DomainError(ErrorCode.MEDIA_REJECTED, 'Produce on a send transport');
    state.checkLimit('producers');
    const client = clientAppData(request.appData);
    const producer = await owned.transport
      .produce<OwnerAppData>({
        kind: request.kind,
        rtpParameters: request.rtpParameters as types.RtpParameters,
        appData: { roomId: caller.roomId, participantId: caller.participantId, client },
      })
      .catch((error: unknown) => {
        throw toMediaError(error, ErrorCode.MEDIA_REJECTED, 'produce');
      });
    state.addProducer(producer, owned.room);
    const registered = this.cluster.register(caller.roomId, this.producerInfo(producer));
    producer.observer.once('close', () =>
      this.cluster.unregister(caller.roomId, this.producerInfo(producer), registered),
    );
    await registered.catch((error: unknown) => {
      producer.close();
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'announce the producer');
    });
    // A hard mute stored while this producer was being made: its sweep may have missed it.
    await this.assertNotMutedByHost(caller, request.kind).catch((error: unknown) => {
      producer.close();
      throw error;
    });
    if (producer.kind === 'audio') {
      owned.room.speakers.addProducer({ producerId: producer.id }).catch((error: unknown) => {
        this.logger.warn(
          { err: error, producerId: producer.id },
          'could not observe the producer for the active speaker',
        );
      });
    }
    this.notifier.newProducer(caller.roomId, this.producerInfo(producer));
    return producer.id;
  }

  /** A paused consumer of a producer in the caller's room, on one of the caller's receive transports. */
  async consume(
    caller: MediaCaller,
    request: { transportId: string; producerId: string; rtpCapabilities: object },
  ): Promise<ConsumerOptions> {
    const state = this.local.current(caller);
    const owned = state.transport(request.transportId);
    if (owned.direction !== 'recv')
      throw new DomainError(ErrorCode.MEDIA_REJECTED, 'Consume on a receive transport');
    state.checkLimit('consumers');
    const { producerId } = request;
    const local = this.local.findProducer(caller.roomId, producerId, false);
    const remote = local ? undefined : await this.cluster.locate(caller.roomId, producerId);
    const source =
      local ??
      (await this.pipes
        .acquire(caller.roomId, remote as string, producerId)
        .catch((error: unknown) => {
          throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'reach the producer');
        }));
    const release = () => remote && this.pipes.release(caller.roomId, remote, producerId);
    let consumer: types.Consumer<OwnerAppData>;
    try {
      consumer = await this.consumeOn(owned.room, owned.transport, source, request, caller);
      state.addConsumer(consumer);
    } catch (error) {
      release();
      throw error;
    }
    const producer = source.producer;
    consumer.observer.once('close', release);
    consumer.on('producerclose', () => {
      this.notifier.consumerClosed(caller.participantId, {
        consumerId: consumer.id,
        producerId: producer.id,
      });
    });
    return {
      id: consumer.id,
      producerId: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      participantId: String(producer.appData.participantId),
      paused: consumer.paused,
      producerPaused: consumer.producerPaused,
    };
  }

  /** Pauses one of the caller's own consumers: the SFU stops forwarding it (idempotent). */
  async pauseConsumer(caller: MediaCaller, consumerId: string): Promise<void> {
    const consumer = this.local.current(caller).consumer(consumerId);
    await consumer.pause().catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'pause the consumer');
    });
  }

  async resumeConsumer(caller: MediaCaller, consumerId: string): Promise<void> {
    const consumer = this.local.current(caller).consumer(consumerId);
    await consumer.resume().catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'resume the consumer');
    });
  }

  async setPreferredLayers(
    caller: MediaCaller,
    consumerId: string,
    spatialLayer: number,
    temporalLayer?: number,
  ): Promise<void> {
    const consumer = this.local.current(caller).consumer(consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') {
      throw new DomainError(
        ErrorCode.MEDIA_INCOMPATIBLE,
        'This stream has no layers to choose from',
      );
    }
    await consumer.setPreferredLayers({ spatialLayer, temporalLayer }).catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_REJECTED, 'set the preferred layers');
    });
  }

  /** A paused consumer on `transport` of `source`, piped to the transport's router first if it lives on another. */
  private async consumeOn(
    room: RoomRouter,
    transport: types.Transport,
    source: PlacedProducer,
    request: { rtpCapabilities: object },
    caller: MediaCaller,
  ): Promise<types.Consumer<OwnerAppData>> {
    const producer = await this.routers.producerOn(source, room).catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'reach the producer');
    });
    const rtpCapabilities = request.rtpCapabilities as types.RtpCapabilities;
    if (!room.router.canConsume({ producerId: producer.id, rtpCapabilities })) {
      throw new DomainError(
        ErrorCode.MEDIA_INCOMPATIBLE,
        'Your device cannot receive this stream (no common codec)',
      );
    }
    return transport
      .consume<OwnerAppData>({
        producerId: producer.id,
        rtpCapabilities,
        paused: true,
        appData: { roomId: caller.roomId, participantId: caller.participantId },
      })
      .catch((error: unknown) => {
        throw toMediaError(error, ErrorCode.MEDIA_INCOMPATIBLE, 'consume');
      });
  }

  async pauseProducer(caller: MediaCaller, producerId: string): Promise<void> {
    const producer = this.local.current(caller).producer(producerId);
    await this.pause(producer, false);
  }

  /**
   * After a soft host mute too (hosts can silence people, never force them to send); refused
   * (MUTED_BY_HOST) while a host muted the kind hard.
   */
  async resumeProducer(caller: MediaCaller, producerId: string): Promise<void> {
    const producer = this.local.current(caller).producer(producerId);
    if (!producer.paused) return;
    await this.assertNotMutedByHost(caller, producer.kind);
    await producer.resume().catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'resume the producer');
    });
    // A hard mute stored between the check and the resume: its pause may have come first.
    await this.assertNotMutedByHost(caller, producer.kind).catch(async (error: unknown) => {
      await this.pause(producer, true);
      throw error;
    });
    this.cluster.setPaused(caller.roomId, producerId, false);
    this.notifier.producerResumed(caller.roomId, {
      producerId,
      participantId: caller.participantId,
    });
  }

  /** Resumes every paused `kind` producer of the caller's connection (after they accepted a host's ask). */
  async resumeKind(caller: MediaCaller, kind: MediaKind): Promise<void> {
    const producers = (this.local.of(caller.roomId, caller.participantId)?.allProducers() ?? [])
      .filter((p) => p.kind === kind && p.paused)
      .map((p) => p.id);
    for (const producerId of producers) await this.resumeProducer(caller, producerId);
  }

  closeProducer(caller: MediaCaller, producerId: string): void {
    this.local.current(caller).producer(producerId).close();
  }

  /** Every producer of the room, on any node. */
  listProducers(roomId: string): Promise<ProducerInfo[]> {
    return this.cluster.list(roomId);
  }

  /**
   * Pauses every `kind` producer of a participant who is in the room (host or admin action),
   * on whichever nodes they live; returns their ids.
   */
  async mute(roomId: string, participantId: string, kind: MediaKind): Promise<string[]> {
    await this.assertPresent(roomId, participantId);
    return this.cluster.mute(roomId, participantId, kind);
  }

  /** PARTICIPANT_NOT_FOUND unless the participant is in the room now. */
  async assertPresent(roomId: string, participantId: string): Promise<void> {
    // Someone with producers in the room is in it, on whichever node (their producers close when they leave).
    const present =
      (await this.membership.current(roomId, participantId)) ||
      (await this.cluster.hasProducers(roomId, participantId));
    if (!present) {
      throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, 'This participant is not in the room');
    }
  }

  /** Producers, consumers and their current bitrates per participant, from every live node. */
  async roomStats(roomId: string): Promise<RoomMediaStats> {
    return mergeRoomStats(await this.localStats(roomId), await this.cluster.otherStats(roomId));
  }

  /** Closes everything the participant has (their producers' consumers close with them). */
  release(roomId: string, participantId: string): void {
    this.local.release(roomId, participantId);
  }

  /** Like `release`, but only if the media belongs to this connection (a newer one may have replaced it). */
  releaseConnection(roomId: string, participantId: string, socketId: string): void {
    if (this.local.of(roomId, participantId)?.socketId === socketId)
      this.release(roomId, participantId);
  }

  closeRoom(roomId: string): void {
    for (const participant of this.local.inRoom(roomId))
      this.release(roomId, participant.participantId);
    this.routers.close(roomId);
  }

  /** The mute of this node's part of a participant's producers. */
  private async muteHere(roomId: string, participantId: string, kind: MediaKind) {
    const producers = (this.local.of(roomId, participantId)?.allProducers() ?? []).filter(
      (p) => p.kind === kind && !p.paused,
    );
    await Promise.all(producers.map((p) => this.pause(p, true)));
    return producers.map((p) => p.id);
  }

  private async assertNotMutedByHost(caller: MediaCaller, kind: MediaKind): Promise<void> {
    const muted = await this.hostControls.mutedByHost(caller.roomId, caller.participantId);
    if (!muted.includes(kind)) return;
    throw new DomainError(
      ErrorCode.MUTED_BY_HOST,
      kind === 'audio'
        ? 'A host muted your microphone; you can unmute once a host allows it'
        : 'A host turned off your camera; you can turn it on once a host allows it',
    );
  }

  private async localStats(roomId: string): Promise<RoomMediaStats> {
    return roomMediaStats(
      roomId,
      { nodeId: this.cluster.nodeId, pipes: await this.pipes.stats(roomId) },
      this.routers.peek(roomId),
      this.local.inRoom(roomId),
    );
  }

  private async pause(producer: types.Producer<OwnerAppData>, byHost: boolean): Promise<void> {
    if (producer.paused) return;
    await producer.pause().catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'pause the producer');
    });
    const { roomId, participantId } = producer.appData;
    this.cluster.setPaused(roomId, producer.id, true);
    this.notifier.producerPaused(roomId, { producerId: producer.id, participantId, byHost });
  }

  private producerInfo(producer: types.Producer<OwnerAppData>): ProducerInfo {
    return {
      producerId: producer.id,
      participantId: producer.appData.participantId,
      kind: producer.kind,
      paused: producer.paused,
    };
  }

  /** Creates a transport on the room's router and registers it as the caller's, unless they left meanwhile. */
  private async openTransport<T extends types.Transport>(
    caller: MediaCaller,
    direction: TransportDirection,
    webRtc: boolean,
    create: (room: RoomRouter, appData: TransportAppData) => Promise<T>,
  ): Promise<T> {
    const state = this.local.openFor(caller);
    state.checkLimit('transports');
    const room = await this.routers.forTransport(caller.roomId);
    const appData = { roomId: caller.roomId, participantId: caller.participantId, direction };
    const transport = await create(room, appData).catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'create a transport');
    });
    state.addTransport({ transport, direction, webRtc, room });
    return transport;
  }
}
