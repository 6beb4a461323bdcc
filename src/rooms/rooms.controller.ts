import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
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
import { CreateRoomDto, ListRoomsQueryDto, RoomDto, RoomPageDto } from './dto/room.dto.js';
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
  ) {}

  /** Creates an open room. */
  @Post()
  create(@Body() body: CreateRoomDto): Promise<RoomDto> {
    return this.rooms.create(body);
  }

  /** Lists rooms, newest first, optionally by status; follow `nextCursor` for more. */
  @Get()
  list(@Query() query: ListRoomsQueryDto): Promise<RoomPageDto> {
    return this.rooms.list(query);
  }

  @Get(':roomId')
  @ApiRoomNotFound()
  async get(@RoomId() roomId: string): Promise<RoomDto> {
    return toRoomDto(await this.rooms.get(roomId));
  }

  /** Closes the room: live participants are told and disconnected; new joins and tokens are refused. History stays. */
  @Delete(':roomId')
  @ApiRoomNotFound()
  @HttpCode(204)
  async close(@RoomId() roomId: string): Promise<void> {
    await this.sessions.close(roomId);
  }

  /** Issues a join token for a new participant identity. */
  @Post(':roomId/tokens')
  @ApiRoomNotFound()
  @ApiConflictResponse({ description: 'The room is closed (ROOM_CLOSED)', type: ErrorResponseDto })
  issueToken(@RoomId() roomId: string, @Body() body: IssueTokenDto): Promise<JoinTokenDto> {
    return this.rooms.issueToken(roomId, body.displayName, body.role ?? 'participant');
  }

  /** Lowers the participant's raised hand (no effect if it is down); the room is told. */
  @Delete(':roomId/participants/:participantId/hand')
  @ApiRoomNotFound(true)
  @HttpCode(204)
  async lowerHand(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.rooms.get(roomId);
    await this.hands.lower(roomId, participantId, true);
  }

  /** The participants connected right now, with raised hands and hard mutes. */
  @Get(':roomId/participants')
  @ApiRoomNotFound()
  participants(@RoomId() roomId: string): Promise<LiveParticipantDto[]> {
    return this.sessions.live(roomId);
  }

  /** Removes a participant: disconnects them and revokes their join token. */
  @Delete(':roomId/participants/:participantId')
  @ApiRoomNotFound(true)
  @HttpCode(204)
  async kick(@RoomId() roomId: string, @ParticipantId() participantId: string): Promise<void> {
    await this.sessions.kick(roomId, participantId);
  }

  /** Guests waiting in the lobby. */
  @Get(':roomId/lobby')
  @ApiRoomNotFound()
  lobby(@RoomId() roomId: string): Promise<LobbyEntryDto[]> {
    return this.sessions.lobby(roomId);
  }

  /** Admits a lobby guest into the room (again: no effect). */
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

  /** Rejects a lobby guest; their token stops working for this room. */
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
