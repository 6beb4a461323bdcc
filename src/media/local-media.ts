import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ParticipantMedia } from './participant-media.js';
import type { PlacedProducer } from './room-routers.js';

/** Whose media a request is about: the verified identity and the connection that owns it. */
export interface MediaOwner {
  roomId: string;
  participantId: string;
  socketId: string;
}

/**
 * The media this node holds, one `ParticipantMedia` per participant per room, and the lookups on
 * it: a participant's current media (only from the connection that owns it), a producer of the
 * room. What the media is allowed to do is MediaService's; this only keeps track.
 */
@Injectable()
export class LocalMedia {
  /** roomId -> participantId -> media */
  private readonly rooms = new Map<string, Map<string, ParticipantMedia>>();

  /** The owner's media, starting a fresh one if their previous connection still had some. */
  openFor(owner: MediaOwner): ParticipantMedia {
    const existing = this.of(owner.roomId, owner.participantId);
    if (existing?.socketId === owner.socketId) return existing;
    if (existing) this.release(owner.roomId, owner.participantId);
    const participants = this.rooms.get(owner.roomId) ?? new Map<string, ParticipantMedia>();
    this.rooms.set(owner.roomId, participants);
    const state = new ParticipantMedia(owner.roomId, owner.participantId, owner.socketId);
    participants.set(owner.participantId, state);
    return state;
  }

  /** The owner's media; MEDIA_NOT_FOUND when they have none or it belongs to another connection. */
  current(owner: MediaOwner): ParticipantMedia {
    const state = this.of(owner.roomId, owner.participantId);
    if (!state || state.socketId !== owner.socketId)
      throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'Create a transport first');
    return state;
  }

  of(roomId: string, participantId: string): ParticipantMedia | undefined {
    return this.rooms.get(roomId)?.get(participantId);
  }

  /** Everyone in the room with media on this node. */
  inRoom(roomId: string): ParticipantMedia[] {
    return [...(this.rooms.get(roomId)?.values() ?? [])];
  }

  /** A producer of this node in the room, with its router. */
  findProducer(roomId: string, producerId: string): PlacedProducer;
  findProducer(roomId: string, producerId: string, required: false): PlacedProducer | undefined;
  findProducer(roomId: string, producerId: string, required = true) {
    for (const participant of this.inRoom(roomId)) {
      const placed = participant.findProducer(producerId);
      if (placed) return placed;
    }
    if (required) throw new DomainError(ErrorCode.MEDIA_NOT_FOUND, 'No such producer in this room');
    return undefined;
  }

  /** Forgets the participant's media and closes it (their producers' consumers close with them). */
  release(roomId: string, participantId: string): void {
    const participants = this.rooms.get(roomId);
    const state = participants?.get(participantId);
    if (!participants || !state) return;
    participants.delete(participantId);
    if (participants.size === 0) this.rooms.delete(roomId);
    state.close();
  }
}
