import { Injectable } from '@nestjs/common';
import { assertUnreachable } from '../common/domain-error.js';
import { ConferenceServer } from '../conference/conference-server.js';
import { ChatMessage, socketRooms } from '../protocol/events.js';

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
        const targets = [
          socketRooms.participant(message.to),
          socketRooms.participant(message.from.participantId),
        ];
        const emitter = this.server.io.to(targets);
        (originSocketId ? emitter.except(originSocketId) : emitter).emit('chat:message', message);
        return;
      }
      case 'public': {
        const emitter = this.server.io.to(socketRooms.room(message.roomId));
        (originSocketId ? emitter.except(originSocketId) : emitter).emit('chat:message', message);
        return;
      }
      default:
        assertUnreachable(message.kind);
    }
  }
}
