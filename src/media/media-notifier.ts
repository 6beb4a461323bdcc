import { Injectable } from '@nestjs/common';
import { ConferenceServer, type ServerEvent as Event } from '../conference/conference-server.js';
import type { ProducerInfo } from '../protocol/events.js';

/**
 * Every media event sent to clients, in one place, through ConferenceServer (so it works across
 * nodes). Before the gateway is up there is nobody to tell: nothing is sent.
 */
@Injectable()
export class MediaNotifier {
  constructor(private readonly server: ConferenceServer) {}

  newProducer(roomId: string, producer: ProducerInfo): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:newProducer', producer, {
      participantId: producer.participantId,
    });
  }

  producerClosed(roomId: string, event: Event<'media:producerClosed'>): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:producerClosed', event, {
      participantId: event.participantId,
    });
  }

  /** Paused by its owner: the others are told. Paused by a host or admin: the owner is told too. */
  producerPaused(roomId: string, event: Event<'media:producerPaused'>): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:producerPaused', event, {
      participantId: event.byHost ? undefined : event.participantId,
    });
  }

  producerResumed(roomId: string, event: Event<'media:producerResumed'>): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:producerResumed', event, {
      participantId: event.participantId,
    });
  }

  consumerClosed(participantId: string, event: Event<'media:consumerClosed'>): void {
    if (!this.server.ready) return;
    this.server.tellParticipants([participantId], 'media:consumerClosed', event);
  }

  activeSpeaker(roomId: string, participantId: string | null): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:activeSpeaker', { participantId });
  }

  /** Tells the sharer that a host (or the admin API) stopped their share. */
  shareStopped(participantId: string, event: Event<'media:shareStopped'>): void {
    if (!this.server.ready) return;
    this.server.tellParticipants([participantId], 'media:shareStopped', event);
  }

  restart(roomId: string, reason: string): void {
    if (!this.server.ready) return;
    this.server.tellRoom(roomId, 'media:restart', { reason });
  }
}
