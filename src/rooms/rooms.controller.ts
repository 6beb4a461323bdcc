import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator.js';
import { ApiInvalidInputResponse, ErrorResponseDto } from '../common/error-response.dto.js';
import {
  IssueTokenDto,
  JoinTokenDto,
  LiveParticipantDto,
  LobbyEntryDto,
} from './dto/participant.dto.js';
import {
  CreateRoomDto,
  ListRoomsQueryDto,
  RoomDto,
  RoomPageDto,
  UpdateRoomDto,
} from './dto/room.dto.js';
import { RoomSettingsService } from './room-settings.js';
import { RoomsService, toRoomDto } from './rooms.service.js';
import { Hands } from './hands.js';
import { SessionsService } from './sessions.service.js';

const RoomId = () => Param('roomId', new ParseUUIDPipe());
const ParticipantId = () => Param('participantId', new ParseUUIDPipe());

/** The 404 of routes under /rooms/{roomId} (collection routes cannot answer 404). */
const ApiRoomNotFound = (participant = false) =>
  ApiNotFoundResponse({
    description: participant
      ? 'No such room (ROOM_NOT_FOUND) or no such participant in it (PARTICIPANT_NOT_FOUND)'
      : 'No such room (ROOM_NOT_FOUND)',
    type: ErrorResponseDto,
  });

@ApiTags('rooms')
@Auth({ scope: 'admin' })
@ApiInvalidInputResponse()
@Controller('api/v1/rooms')
export class RoomsController {
  constructor(
    private readonly rooms: RoomsService,
    private readonly sessions: SessionsService,
    private readonly hands: Hands,
    private readonly settings: RoomSettingsService,
  ) {}

  /**
   * Create a room.
   *
   * @remarks
   * Creates an open room with its name, capacity and lobby setting. Join tokens for it are issued
   * with `POST /api/v1/rooms/{roomId}/tokens`. Scope `admin`.
   */
  @Post()
  create(@Body() body: CreateRoomDto): Promise<RoomDto> {
    return this.rooms.create(body);
  }

  /**
   * List rooms.
   *
   * @remarks
   * Rooms, newest first, optionally only open or closed ones. Keyset pagination: pass the
   * response's `nextCursor` as `cursor` for the next page; it is absent on the last page. Scope
   * `admin`.
   */
  @Get()
  list(@Query() query: ListRoomsQueryDto): Promise<RoomPageDto> {
    return this.rooms.list(query);
  }

  /**
   * Get a room.
   *
   * @remarks
   * One room with its status, settings and the time it was created (and closed). Scope `admin`.
   */
  @Get(':roomId')
  @ApiRoomNotFound()
  async get(@RoomId() roomId: string): Promise<RoomDto> {
    return toRoomDto(await this.rooms.get(roomId));
  }

  /**
   * Change a room's settings.
   *
   * @remarks
   * Changes the settings given and leaves the others: `screenShare` (who may share their screen,
   * `everyone` or `hosts`; shares already running go on). Participants in the room are told
   * (`room:updated`). Returns the room. Scope `admin`.
   */
  @Patch(':roomId')
  @ApiRoomNotFound()
  update(@RoomId() roomId: string, @Body() body: UpdateRoomDto): Promise<RoomDto> {
    return this.settings.update(roomId, body);
  }

  /**
   * Close a room.
   *
   * @remarks
   * Closes the room: live participants are told and disconnected; new joins and tokens are refused
   * from now on. Its chat history and audit trail stay.
   * Scope `admin`.
   */
  @Delete(':roomId')
  @ApiRoomNotFound()
  @HttpCode(204)
  async close(@RoomId() roomId: string): Promise<void> {
    await this.sessions.close(roomId);
  }

  /**
   * Issue a join token.
   *
   * @remarks
   * Issues a join token for a new participant identity in the room, with a display name and a role
   * (host, participant or guest; guests wait in the lobby when the room has one). The token goes
   * into the join link the person opens. Scope `admin`.
   */
  @Post(':roomId/tokens')
  @ApiRoomNotFound()
  @ApiConflictResponse({ description: 'The room is closed (ROOM_CLOSED)', type: ErrorResponseDto })
  issueToken(@RoomId() roomId: string, @Body() body: IssueTokenDto): Promise<JoinTokenDto> {
    return this.rooms.issueToken(roomId, body.displayName, body.role ?? 'participant');
  }

  /**
   * Lower a raised hand.
   *
   * @remarks
   * Lowers the participant's raised hand (no effect if it is down); the room is told. Scope
   * `admin`.
   */
  @Delete(':roomId/participants/:participantId/hand')
  @ApiRoomNotFound(true)
  @HttpCode(204)
  async lowerHand(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.rooms.get(roomId);
    await this.hands.lower(roomId, participantId, true);
  }

  /**
   * List connected participants.
   *
   * @remarks
   * The participants connected to the room right now, on any node, with their role, raised hand
   * and hard mutes. Scope `admin`.
   */
  @Get(':roomId/participants')
  @ApiRoomNotFound()
  participants(@RoomId() roomId: string): Promise<LiveParticipantDto[]> {
    return this.sessions.live(roomId);
  }

  /**
   * Remove a participant.
   *
   * @remarks
   * Disconnects the participant from the room (the room is told) and revokes their join token, so
   * they cannot come back with it. Scope `admin`.
   */
  @Delete(':roomId/participants/:participantId')
  @ApiRoomNotFound(true)
  @HttpCode(204)
  async kick(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.sessions.kick(roomId, participantId);
  }

  /**
   * List the lobby.
   *
   * @remarks
   * Guests waiting in the room's lobby to be admitted or rejected. Scope `admin`.
   */
  @Get(':roomId/lobby')
  @ApiRoomNotFound()
  lobby(@RoomId() roomId: string): Promise<LobbyEntryDto[]> {
    return this.sessions.lobby(roomId);
  }

  /**
   * Admit a lobby guest.
   *
   * @remarks
   * Admits a guest waiting in the lobby: they join the room at once. Admitting an admitted guest
   * again has no effect. Scope `admin`.
   */
  @Post(':roomId/lobby/:participantId/admit')
  @ApiRoomNotFound(true)
  @ApiConflictResponse({
    description: 'The room has no lobby (LOBBY_NOT_ENABLED)',
    type: ErrorResponseDto,
  })
  @HttpCode(204)
  async admit(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.sessions.admit(roomId, participantId);
  }

  /**
   * Reject a lobby guest.
   *
   * @remarks
   * Rejects a guest waiting in the lobby: they are told and disconnected, and their token stops
   * working for this room. Scope `admin`.
   */
  @Post(':roomId/lobby/:participantId/reject')
  @ApiRoomNotFound(true)
  @ApiConflictResponse({
    description:
      'The room has no lobby (LOBBY_NOT_ENABLED), or the participant was already admitted (PARTICIPANT_ALREADY_ADMITTED)',
    type: ErrorResponseDto,
  })
  @HttpCode(204)
  async reject(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.sessions.reject(roomId, participantId);
  }
}
