import { Injectable } from '@nestjs/common';
import { ConferenceServer } from '../conference/conference-server.js';
import type { ConferenceNamespace } from '../conference/conference-socket.js';
import { type ProducerInfo, type ServerToClientEvents, socketRooms } from '../protocol/events.js';

type Event<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

/** Every media event sent to clients, in one place; targets are Socket.IO rooms, so this works across nodes. */
@Injectable()
export class MediaNotifier {
  constructor(private readonly server: ConferenceServer) {}

  newProducer(roomId: string, producer: ProducerInfo): void {
    this.io
      ?.to(socketRooms.room(roomId))
      .except(socketRooms.participant(producer.participantId))
      .emit('media:newProducer', producer);
  }

  producerClosed(roomId: string, event: Event<'media:producerClosed'>): void {
    this.io
      ?.to(socketRooms.room(roomId))
      .except(socketRooms.participant(event.participantId))
      .emit('media:producerClosed', event);
  }

  /** Paused by its owner: the others are told. Paused by a host or admin: the owner is told too. */
  producerPaused(roomId: string, event: Event<'media:producerPaused'>): void {
    const target = this.io?.to(socketRooms.room(roomId));
    (event.byHost ? target : target?.except(socketRooms.participant(event.participantId)))?.emit(
      'media:producerPaused',
      event,
    );
  }

  producerResumed(roomId: string, event: Event<'media:producerResumed'>): void {
    this.io
      ?.to(socketRooms.room(roomId))
      .except(socketRooms.participant(event.participantId))
      .emit('media:producerResumed', event);
  }

  consumerClosed(participantId: string, event: Event<'media:consumerClosed'>): void {
    this.io?.to(socketRooms.participant(participantId)).emit('media:consumerClosed', event);
  }

  activeSpeaker(roomId: string, participantId: string | null): void {
    this.io?.to(socketRooms.room(roomId)).emit('media:activeSpeaker', { participantId });
  }

  restart(roomId: string, reason: string): void {
    this.io?.to(socketRooms.room(roomId)).emit('media:restart', { reason });
  }

  /** Undefined before the gateway is up (nobody to tell yet). */
  private get io(): ConferenceNamespace | undefined {
    try {
      return this.server.io;
    } catch {
      return undefined;
    }
  }
}
