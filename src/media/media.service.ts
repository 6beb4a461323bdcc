import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type {
  MediaKind,
  MediaSource,
  ProducerInfo,
  Role,
  RoomMediaStats,
  TransportDirection,
  TransportOptions,
} from '../protocol/events.js';
import { isShareSource } from '../protocol/screen-share.js';
import { RoomEvents, type RoomEventMap } from '../rooms/room-events.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { toMediaError } from './media-errors.js';
import { MediaNotifier } from './media-notifier.js';
import { clientAppData } from './media-policy.js';
import { MediaCluster } from './media-cluster.js';
import { mergeRoomStats, roomMediaStats } from './media-stats.js';
import { NodePipes } from './node-pipes.js';
import { LocalMedia } from './local-media.js';
import { type OwnerAppData, sourceOfProducer } from './participant-media.js';
import { ProducePolicy } from './produce-rules.js';
import { type RoomRouter, RoomRouters } from './room-routers.js';

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

  private readonly onLeft = ({ roomId, participantId }: RoomEventMap['participant.left'][0]) => {
    this.release(roomId, participantId);
    this.routers.closeWhenEmpty(roomId);
  };
  private readonly onJoined = ({ roomId }: RoomEventMap['participant.joined'][0]) =>
    this.routers.cancelClose(roomId);
  private readonly onRoomClosed = ({ roomId }: RoomEventMap['room.closed'][0]) =>
    this.closeRoom(roomId);

  constructor(
    private readonly local: LocalMedia,
    private readonly routers: RoomRouters,
    private readonly notifier: MediaNotifier,
    private readonly roomEvents: RoomEvents,
    private readonly membership: RoomMembership,
    private readonly cluster: MediaCluster,
    private readonly pipes: NodePipes,
    private readonly policy: ProducePolicy,
  ) {}

  onModuleInit(): void {
    this.pipes.serveFrom((roomId, producerId) => this.local.findProducer(roomId, producerId));
    this.cluster.serve({
      mute: ({ roomId, participantId, kind }) => this.muteHere(roomId, participantId, kind),
      stopShare: ({ roomId, participantId }) =>
        Promise.resolve(this.closeSharesHere(roomId, participantId)),
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
   * Starts sending `kind` from `source` (only codecs of that kind) on one of the caller's send
   * transports; the room is told. Refused as ProducePolicy says (a hard mute, a share the room
   * does not allow) and for a second share.
   */
  async produce(
    caller: MediaCaller,
    request: {
      transportId: string;
      kind: MediaKind;
      rtpParameters: object;
      source?: MediaSource;
      appData?: Record<string, unknown>;
    },
  ): Promise<string> {
    const source = await this.policy.admit(caller, request);
    const state = this.local.current(caller);
    const owned = state.transport(request.transportId);
    if (owned.direction !== 'send')
      throw new DomainError(ErrorCode.MEDIA_REJECTED, 'Produce on a send transport');
    state.checkLimit('producers');
    const client = clientAppData(request.appData);
    const unclaim = state.claimSource(source);
    const producer = await owned.transport
      .produce<OwnerAppData>({
        kind: request.kind,
        rtpParameters: request.rtpParameters as types.RtpParameters,
        appData: { roomId: caller.roomId, participantId: caller.participantId, source, client },
      })
      .catch((error: unknown) => {
        unclaim();
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
    await this.policy.assertNotMutedByHost(caller, request.kind, source).catch((error: unknown) => {
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
    const { source } = producer.appData;
    await this.policy.assertNotMutedByHost(caller, producer.kind, source);
    await producer.resume().catch((error: unknown) => {
      throw toMediaError(error, ErrorCode.MEDIA_UNAVAILABLE, 'resume the producer');
    });
    // A hard mute stored between the check and the resume: its pause may have come first.
    await this.policy.assertNotMutedByHost(caller, producer.kind, source).catch(async (error) => {
      await this.pause(producer, true);
      throw error;
    });
    this.cluster.setPaused(caller.roomId, producerId, false);
    this.notifier.producerResumed(caller.roomId, {
      producerId,
      participantId: caller.participantId,
    });
  }

  /** Resumes the paused camera or microphone (`kind`) of the caller's connection (they accepted a host's ask). */
  async resumeKind(caller: MediaCaller, kind: MediaKind): Promise<void> {
    const producers = this.devices(caller.roomId, caller.participantId, kind)
      .filter((p) => p.paused)
      .map((p) => p.id);
    for (const producerId of producers) await this.resumeProducer(caller, producerId);
  }

  closeProducer(caller: MediaCaller, producerId: string): void {
    this.local.current(caller).producer(producerId).close();
  }

  /** Closes the caller's own screen share (nothing if there is none); the ids it closed. */
  stopOwnShare(caller: MediaCaller): string[] {
    const shares = this.local.current(caller).shareProducers();
    for (const producer of shares) producer.close();
    return shares.map((p) => p.id);
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

  /** The mute of this node's part of a participant's camera or microphone (a share is stopped instead). */
  private async muteHere(roomId: string, participantId: string, kind: MediaKind) {
    const producers = this.devices(roomId, participantId, kind).filter((p) => !p.paused);
    await Promise.all(producers.map((p) => this.pause(p, true)));
    return producers.map((p) => p.id);
  }

  /** This node's part of a participant's screen share, closed (the room is told); the ids. */
  private closeSharesHere(roomId: string, participantId: string): string[] {
    const shares = this.local.of(roomId, participantId)?.shareProducers() ?? [];
    for (const producer of shares) producer.close();
    return shares.map((p) => p.id);
  }

  /** A participant's camera or microphone producers (`kind`) on this node. */
  private devices(roomId: string, participantId: string, kind: MediaKind) {
    return (this.local.of(roomId, participantId)?.allProducers() ?? []).filter(
      (p) => p.kind === kind && !isShareSource(sourceOfProducer(p)),
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
      source: sourceOfProducer(producer),
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
