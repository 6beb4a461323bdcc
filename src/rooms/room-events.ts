import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import type { LeaveReason } from '../protocol/events.js';

export interface RoomEventMap {
  'room.created': [
    { roomId: string; name: string; lobby: boolean; maxParticipants: number | null },
  ];
  /** A participant is no longer in the room (left, disconnected, kicked, replaced is not one). */
  'participant.left': [{ roomId: string; participantId: string; reason: LeaveReason }];
  'participant.joined': [{ roomId: string; participantId: string }];
  'room.closed': [{ roomId: string }];
}

/** What other modules (media) may observe about rooms, without reaching into rooms' internals. */
@Injectable()
export class RoomEvents extends EventEmitter<RoomEventMap> {}
