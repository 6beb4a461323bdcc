import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator.js';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import { RoomMembership } from '../rooms/room-membership.js';
import {
  HostMutesDto,
  MediaKindDto,
  MuteAllDto,
  MuteAllResultDto,
  MuteParticipantDto,
  MuteResultDto,
  RoomMediaDto,
} from './dto/media.dto.js';
import { HostMute } from './host-mute.js';
import { MediaService } from './media.service.js';
import { ScreenShare } from './screen-share.js';

const RoomId = () => Param('roomId', new ParseUUIDPipe());
const ParticipantId = () => Param('participantId', new ParseUUIDPipe());

@ApiTags('media')
@Auth({ scope: 'admin' })
@ApiInvalidInputResponse()
@ApiNotFoundResponse({
  description:
    'No such room (ROOM_NOT_FOUND), participant not in the room (PARTICIPANT_NOT_FOUND), or no screen share to stop (SHARE_NOT_FOUND)',
  type: ErrorResponseDto,
})
@Controller('api/v1/rooms')
export class MediaController {
  constructor(
    private readonly rooms: RoomMembership,
    private readonly media: MediaService,
    private readonly hostMute: HostMute,
    private readonly shares: ScreenShare,
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
   * Pauses the participant's audio or video on the server and tells the room. They may unmute
   * themselves, unless `hard`: then not until a host allows it. Scope `admin`.
   */
  @Post(':roomId/participants/:participantId/mute')
  @HttpCode(200)
  async mute(
    @RoomId() roomId: string,
    @ParticipantId() participantId: string,
    @Body() body: MuteParticipantDto,
  ): Promise<MuteResultDto> {
    await this.rooms.assertRoomExists(roomId);
    return {
      producerIds: await this.hostMute.mute(roomId, participantId, body.kind, body.hard),
    };
  }

  /**
   * Allow a participant to unmute.
   *
   * @remarks
   * Lifts a hard mute of that kind: the participant may unmute themselves again (they are not
   * unmuted by this). Returns the hard mutes left. Scope `admin`.
   */
  @Post(':roomId/participants/:participantId/allow-unmute')
  @HttpCode(200)
  async allowUnmute(
    @RoomId() roomId: string,
    @ParticipantId() participantId: string,
    @Body() body: MediaKindDto,
  ): Promise<HostMutesDto> {
    await this.rooms.assertRoomExists(roomId);
    return { mutedByHost: await this.hostMute.allowUnmute(roomId, participantId, body.kind) };
  }

  /**
   * Ask a participant to unmute.
   *
   * @remarks
   * The participant is prompted, and the room's hosts hear their answer
   * (`media:unmuteAnswered`); accepting lifts a hard mute of that kind. Scope `admin`.
   */
  @Post(':roomId/participants/:participantId/ask-to-unmute')
  @HttpCode(204)
  async askToUnmute(
    @RoomId() roomId: string,
    @ParticipantId() participantId: string,
    @Body() body: MediaKindDto,
  ): Promise<void> {
    await this.rooms.assertRoomExists(roomId);
    await this.hostMute.askToUnmute(roomId, participantId, body.kind);
  }

  /**
   * Stop a participant's screen share.
   *
   * @remarks
   * Stops the screen (and its sound) the participant shares, on whichever node it lives: the
   * room sees it end and the participant is told (`media:shareStopped`). 404 SHARE_NOT_FOUND
   * when they share nothing. Scope `admin`.
   */
  @Delete(':roomId/participants/:participantId/screen-share')
  @HttpCode(204)
  async stopShare(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.rooms.assertRoomExists(roomId);
    await this.shares.stopFor(roomId, participantId);
  }

  /**
   * Mute everyone.
   *
   * @remarks
   * Mutes the microphone of everyone in the room who is not a host; with `hard`, they cannot
   * unmute until a host allows it. Returns whom it muted. Scope `admin`.
   */
  @Post(':roomId/mute-all')
  @HttpCode(200)
  async muteAll(@RoomId() roomId: string, @Body() body: MuteAllDto): Promise<MuteAllResultDto> {
    await this.rooms.assertRoomExists(roomId);
    return { participantIds: await this.hostMute.muteAll(roomId, body.hard) };
  }
}
