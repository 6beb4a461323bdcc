import { Injectable } from '@nestjs/common';
import { assertUnreachable } from '../common/domain-error.js';
import { ConferenceServer } from '../conference/conference-server.js';
import type { ChatMessage } from '../protocol/events.js';

/**
 * Puts a stored message on the wire. A private message goes to exactly two personal Socket.IO
 * rooms (recipient, sender); a public one to the room. There is no other path and no default.
 */
@Injectable()
export class ChatDelivery {
  constructor(private readonly server: ConferenceServer) {}

  deliver(message: ChatMessage, originSocketId?: string): void {
    switch (message.kind) {
      case 'private': {
        if (!message.to) throw new Error(`private message ${message.id} without a recipient`);
        const participants = [message.to, message.from.participantId];
        this.server.tellParticipants(participants, 'chat:message', message, originSocketId);
        return;
      }
      case 'public': {
        this.server.tellRoom(message.roomId, 'chat:message', message, {
          socketId: originSocketId,
        });
        return;
      }
      default:
        assertUnreachable(message.kind);
    }
  }
}
