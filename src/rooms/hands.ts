import { Injectable } from '@nestjs/common';
import { ConferenceServer } from '../conference/conference-server.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ParticipantControlsStore } from './participant-controls.store.js';

/**
 * Raised hands, stored on the participant (so a hand stays up across a reconnect, on any node)
 * and announced to the room. A hand keeps the time it first went up: the people list orders
 * hands by it, oldest first.
 */
@Injectable()
export class Hands {
  constructor(
    private readonly store: ParticipantControlsStore,
    private readonly server: ConferenceServer,
  ) {}

  /** Raises the hand (once: raising it again keeps the first time); returns when it went up. */
  async raise(roomId: string, participantId: string): Promise<Date> {
    const result = await this.store.raiseHand(roomId, participantId);
    if (!result) throw notInRoom(participantId);
    if (result.raised && this.server.ready) {
      this.server.tellRoom(roomId, 'hand:raised', {
        participantId,
        raisedAt: result.raisedAt.toISOString(),
      });
    }
    return result.raisedAt;
  }

  /** Lowers the hand if it is up (the room is told); PARTICIPANT_NOT_FOUND if not issued here. */
  async lower(roomId: string, participantId: string, byHost: boolean): Promise<void> {
    if (await this.store.lowerHand(roomId, participantId)) {
      if (this.server.ready)
        this.server.tellRoom(roomId, 'hand:lowered', { participantId, byHost });
      return;
    }
    if (!(await this.store.of(roomId, participantId))) throw notInRoom(participantId);
  }

  /** Lowers the hand of someone who left the room for good (nobody is told: they left). */
  async leftRoom(roomId: string, participantId: string): Promise<void> {
    await this.store.lowerHand(roomId, participantId);
  }
}

function notInRoom(participantId: string): DomainError {
  return new DomainError(
    ErrorCode.PARTICIPANT_NOT_FOUND,
    `No participant ${participantId} in this room`,
  );
}
