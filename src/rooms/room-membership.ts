import { Injectable } from '@nestjs/common';
import type { SocketIdentity } from '../protocol/socket-data.js';
import { PresenceStore } from './presence/presence.store.js';

/**
 * The rooms module's answer to "is participant P in room R right now, and as whom?", for chat
 * and media. Backed by presence; callers never see how presence is stored.
 */
@Injectable()
export class RoomMembership {
  constructor(private readonly presence: PresenceStore) {}

  async current(roomId: string, participantId: string): Promise<SocketIdentity | undefined> {
    const entry = await this.presence.get(roomId, participantId);
    return (
      entry && {
        roomId: entry.roomId,
        participantId: entry.participantId,
        displayName: entry.displayName,
        role: entry.role,
      }
    );
  }

  async members(roomId: string): Promise<SocketIdentity[]> {
    return (await this.presence.list(roomId)).map((e) => ({
      roomId: e.roomId,
      participantId: e.participantId,
      displayName: e.displayName,
      role: e.role,
    }));
  }
}
