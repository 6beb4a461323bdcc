import { Injectable } from '@nestjs/common';
import type { ScreenSharePolicy } from '../protocol/events.js';
import type { SocketIdentity } from '../protocol/socket-data.js';
import { PresenceStore } from './presence/presence.store.js';
import { RoomsService } from './rooms.service.js';

/**
 * The rooms module's answers for chat and media: "does room R exist?" and "is participant P in
 * room R right now, and as whom (role)?". Callers never see how rooms or presence are stored.
 */
@Injectable()
export class RoomMembership {
  constructor(
    private readonly presence: PresenceStore,
    private readonly rooms: RoomsService,
  ) {}

  /** Throws ROOM_NOT_FOUND unless the room exists (open or closed). */
  async assertRoomExists(roomId: string): Promise<void> {
    await this.rooms.get(roomId);
  }

  /** Who may share their screen in the room (ROOM_NOT_FOUND). */
  async screenShare(roomId: string): Promise<ScreenSharePolicy> {
    return (await this.rooms.get(roomId)).screenShare;
  }

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
