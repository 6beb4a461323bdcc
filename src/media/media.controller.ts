import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator.js';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import { RoomMembership } from '../rooms/room-membership.js';
import { MuteParticipantDto, MuteResultDto, RoomMediaDto } from './dto/media.dto.js';
import { MediaService } from './media.service.js';

const RoomId = () => Param('roomId', new ParseUUIDPipe());

@ApiTags('media')
@Auth({ scope: 'admin' })
@ApiInvalidInputResponse()
@ApiNotFoundResponse({
  description:
    'No such room (ROOM_NOT_FOUND) or participant not in the room (PARTICIPANT_NOT_FOUND)',
  type: ErrorResponseDto,
})
@Controller('api/v1/rooms')
export class MediaController {
  constructor(
    private readonly rooms: RoomMembership,
    private readonly media: MediaService,
  ) {}

  /**
   * Get a room's media.
   *
   * @remarks
   * The room's media right now: per participant, what they send (producers) and receive
   * (consumers), with bitrates, layers and the routers and workers that carry them. Scope `admin`.
   */
  @Get(':roomId/media')
  async roomMedia(@RoomId() roomId: string): Promise<RoomMediaDto> {
    await this.rooms.assertRoomExists(roomId);
    return this.media.roomStats(roomId);
  }

  /**
   * Mute a participant.
   *
   * @remarks
   * Pauses the participant's audio or video on the server and tells the room; the participant may
   * unmute themselves. Scope `admin`.
   */
  @Post(':roomId/participants/:participantId/mute')
  @HttpCode(200)
  async mute(
    @RoomId() roomId: string,
    @Param('participantId', new ParseUUIDPipe()) participantId: string,
    @Body() body: MuteParticipantDto,
  ): Promise<MuteResultDto> {
    await this.rooms.assertRoomExists(roomId);
    return { producerIds: await this.media.mute(roomId, participantId, body.kind) };
  }
}
