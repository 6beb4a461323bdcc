import type { types } from 'mediasoup';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaSource, TransportDirection } from '../protocol/events.js';
import { defaultSource, isShareSource } from '../protocol/screen-share.js';
import { checkLimit, MEDIA_LIMITS } from './media-policy.js';
import type { PlacedProducer, RoomRouter } from './room-routers.js';

export type OwnerAppData = {
  roomId: string;
  participantId: string;
  /** Producers only: what they carry. */
  source?: MediaSource;
  client?: Record<string, unknown>;
};

/** What a producer carries (piped copies carry their original's source too). */
export const sourceOfProducer = (producer: types.Producer): MediaSource =>
  (producer.appData.source as MediaSource | undefined) ?? defaultSource(producer.kind);

export interface OwnedTransport {
  transport: types.Transport;
  direction: TransportDirection;
  webRtc: boolean;
  room: RoomRouter;
}

/**
 * One participant's media on one connection (mediasoup-demo's `Peer`): their transports,
 * producers and consumers, the per-participant limits, and lookups that only find their own
 * objects. Every entry is removed by the object's own `close` observer (also when mediasoup
 * closes it underneath, as on worker death), so the maps never hold closed objects. After
 * `close()` nothing can be added: an object created across an await is closed instead.
 */
export class ParticipantMedia {
  private readonly transports = new Map<string, OwnedTransport>();
  private readonly producers = new Map<string, types.Producer<OwnerAppData>>();
  private readonly producerRouters = new Map<string, RoomRouter>();
  private readonly consumers = new Map<string, types.Consumer<OwnerAppData>>();
  /** The share sources taken by a producer, or by one being made (one of each per participant). */
  private readonly shares = new Set<MediaSource>();
  private closed = false;

  constructor(
    readonly roomId: string,
    readonly participantId: string,
    readonly socketId: string,
  ) {}

  get transportCount(): number {
    return this.transports.size;
  }

  allProducers(): types.Producer<OwnerAppData>[] {
    return [...this.producers.values()];
  }

  allConsumers(): types.Consumer<OwnerAppData>[] {
    return [...this.consumers.values()];
  }

  /** Throws if the participant already has as many of `what` as allowed. */
  checkLimit(what: 'transports' | 'producers' | 'consumers'): void {
    checkLimit(this[what].size, MEDIA_LIMITS[what], what);
  }

  addTransport(owned: OwnedTransport): void {
    this.adopt(owned.transport);
    this.transports.set(owned.transport.id, owned);
    owned.transport.observer.once('close', () => this.transports.delete(owned.transport.id));
  }

  /**
   * Takes a share source (`screen`, `screen-audio`) for a producer about to be made:
   * SHARE_ALREADY_ACTIVE while one has it. The returned function gives it back (the produce
   * failed); a producer that got it gives it back when it closes. Other sources: nothing to take.
   */
  claimSource(source: MediaSource): () => void {
    if (!isShareSource(source)) return () => undefined;
    if (this.shares.has(source))
      throw new DomainError(
        ErrorCode.SHARE_ALREADY_ACTIVE,
        'You are already sharing your screen: stop that share first',
      );
    this.shares.add(source);
    return () => this.shares.delete(source);
  }

  /** A producer and the room router it was made on (where its consumers and pipes start). */
  addProducer(producer: types.Producer<OwnerAppData>, room: RoomRouter): void {
    this.adopt(producer);
    this.producers.set(producer.id, producer);
    this.producerRouters.set(producer.id, room);
    producer.observer.once('close', () => {
      this.producers.delete(producer.id);
      this.producerRouters.delete(producer.id);
      if (producer.appData.source) this.shares.delete(producer.appData.source);
    });
  }

  /** The producers of a screen share (its picture and its sound). */
  shareProducers(): types.Producer<OwnerAppData>[] {
    return this.allProducers().filter((p) => isShareSource(sourceOfProducer(p)));
  }

  addConsumer(consumer: types.Consumer<OwnerAppData>): void {
    this.adopt(consumer);
    this.consumers.set(consumer.id, consumer);
    consumer.observer.once('close', () => this.consumers.delete(consumer.id));
  }

  // Lookups only in this participant's own maps: someone else's id is indistinguishable from an unknown one.
  transport(transportId: string): OwnedTransport {
    const found = this.transports.get(transportId);
    if (!found) throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such transport of yours');
    return found;
  }

  producer(producerId: string): types.Producer<OwnerAppData> {
    const found = this.producers.get(producerId);
    if (!found) throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such producer of yours');
    return found;
  }

  consumer(consumerId: string): types.Consumer<OwnerAppData> {
    const found = this.consumers.get(consumerId);
    if (!found) throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such consumer of yours');
    return found;
  }

  /** The producer and its router if it is this participant's, for searches across a room. */
  findProducer(producerId: string): PlacedProducer | undefined {
    const producer = this.producers.get(producerId);
    const room = this.producerRouters.get(producerId);
    return producer && room ? { producer, room } : undefined;
  }

  /** Closes everything (producers and consumers close with their transports; their producers' consumers close too). */
  close(): void {
    this.closed = true;
    for (const { transport } of [...this.transports.values()]) transport.close();
  }

  /** An object created across an await is kept only if the participant did not leave meanwhile. */
  private adopt(object: { close(): void }): void {
    if (!this.closed) return;
    object.close();
    throw new DomainError(ErrorCode.NOT_JOINED, 'You left the room');
  }
}
