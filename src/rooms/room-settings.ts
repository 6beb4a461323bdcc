import { Injectable } from '@nestjs/common';
import { ConferenceServer } from '../conference/conference-server.js';
import type { RoomDto, UpdateRoomDto } from './dto/room.dto.js';
import { RoomsService, toRoomDto } from './rooms.service.js';

/** Changing a room's settings (admin API): stored, then told to everyone in the room. */
@Injectable()
export class RoomSettingsService {
  constructor(
    private readonly rooms: RoomsService,
    private readonly server: ConferenceServer,
  ) {}

  /** Stores the change, then tells the room (on every node) if anything changed; the room as stored. */
  async update(roomId: string, dto: UpdateRoomDto): Promise<RoomDto> {
    const { room, changed } = await this.rooms.update(roomId, dto);
    if (changed && this.server.ready)
      this.server.tellRoom(roomId, 'room:updated', { screenShare: room.screenShare });
    return toRoomDto(room);
  }
}
