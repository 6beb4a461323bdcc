import { Injectable } from '@nestjs/common';
import type { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConsumerOptions } from '../protocol/events.js';
import { LocalMedia } from './local-media.js';
import { MediaCluster } from './media-cluster.js';
import { toMediaError } from './media-errors.js';
import { MediaNotifier } from './media-notifier.js';
import type { MediaCaller } from './media.service.js';
import { NodePipes } from './node-pipes.js';
import { type OwnerAppData, sourceOfProducer } from './participant-media.js';
import { type PlacedProducer, type RoomRouter, RoomRouters } from './room-routers.js';

/**
 * What a participant receives: consumers of the room's producers (of this node, of another
 * worker, or piped in from another node), created paused, and what the receiver may change on
 * them (pause, resume, the simulcast layer). Only the caller's own consumers are found.
 */
@Injectable()
export class MediaConsumers {
  constructor(
    private readonly local: LocalMedia,
    private readonly routers: RoomRouters,
    private readonly notifier: MediaNotifier,
    private readonly cluster: MediaCluster,
    private readonly pipes: NodePipes,
  ) {}

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
      source: sourceOfProducer(producer),
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
}
