import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { JoinClaims, JoinTokensService } from '../auth/join-tokens.service.js';
import { DomainError } from '../common/domain-error.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { MediaKind, Role, ScreenSharePolicy } from '../protocol/events.js';
import { CreateRoomDto, RoomDto, RoomPageDto, UpdateRoomDto } from './dto/room.dto.js';
import { JoinTokenDto } from './dto/participant.dto.js';
import { type Admission, ParticipantEntity } from './participant.entity.js';
import { RoomEntity, RoomStatus } from './room.entity.js';
import { RoomEvents } from './room-events.js';

export function toRoomDto(room: RoomEntity): RoomDto {
  return {
    id: room.id,
    name: room.name,
    status: room.status,
    maxParticipants: room.maxParticipants,
    lobby: room.lobby,
    screenShare: room.screenShare,
    createdAt: room.createdAt.toISOString(),
    closedAt: room.closedAt?.toISOString() ?? null,
  };
}

/**
 * A page boundary is (created_at, id). created_at has microseconds, which a JS Date cannot hold,
 * so the cursor carries the time as PostgreSQL renders it (UTC, microseconds), never a Date.
 */
const CURSOR_TIME = `to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIME_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (
    !createdAt ||
    !CURSOR_TIME_FORMAT.test(createdAt) ||
    Number.isNaN(Date.parse(createdAt)) ||
    !id ||
    !/^[0-9a-f-]{36}$/i.test(id)
  ) {
    throw new DomainError(ErrorCode.VALIDATION_FAILED, 'cursor: not a cursor returned by this API');
  }
  return { createdAt, id };
}

function assertOpen(room: RoomEntity): RoomEntity {
  if (room.status !== 'open') throw new DomainError(ErrorCode.ROOM_CLOSED, 'This room is closed');
  return room;
}

function participantNotFound(participantId: string): DomainError {
  return new DomainError(
    ErrorCode.PARTICIPANT_NOT_FOUND,
    `No participant ${participantId} in this room`,
  );
}

/** A removed participant stays out (no handshake, no join): the one place this is checked. */
function assertNotRevoked(participant: ParticipantEntity): void {
  if (participant.revokedAt)
    throw new DomainError(ErrorCode.TOKEN_REVOKED, 'You were removed from this room');
}

const ROOM_AND_PARTICIPANT = `
  SELECT r.id, r.name, r.status, r.max_participants, r.lobby, r.screen_share, r.created_at,
         r.closed_at,
         p.id AS p_id, p.room_id AS p_room_id, p.display_name AS p_display_name, p.role AS p_role,
         p.admission AS p_admission, p.created_at AS p_created_at, p.expires_at AS p_expires_at,
         p.revoked_at AS p_revoked_at, p.idp_issued_at AS p_idp_issued_at,
         p.muted_by_host AS p_muted_by_host, p.unmute_asked AS p_unmute_asked,
         p.hand_raised_at AS p_hand_raised_at
  FROM rooms r LEFT JOIN participants p ON p.id = $2
  WHERE r.id = $1`;

/** A row of ROOM_AND_PARTICIPANT: the room's columns, and the participant's (all null if none). */
type RoomAndParticipantRow = {
  id: string;
  name: string;
  status: RoomStatus;
  max_participants: number | null;
  lobby: boolean;
  screen_share: ScreenSharePolicy;
  created_at: Date;
  closed_at: Date | null;
} & (
  | {
      p_id: string;
      p_room_id: string;
      p_display_name: string;
      p_role: Role;
      p_admission: Admission;
      p_created_at: Date;
      p_expires_at: Date;
      p_revoked_at: Date | null;
      p_idp_issued_at: Date | null;
      p_muted_by_host: MediaKind[];
      p_unmute_asked: MediaKind[];
      p_hand_raised_at: Date | null;
    }
  | { p_id: null; [column: `p_${string}`]: null }
);

/** Rooms and issued participant identities, as stored in PostgreSQL. */
@Injectable()
export class RoomsService {
  constructor(
    @InjectRepository(RoomEntity) private readonly rooms: Repository<RoomEntity>,
    @InjectRepository(ParticipantEntity)
    private readonly participants: Repository<ParticipantEntity>,
    private readonly tokens: JoinTokensService,
    private readonly events: RoomEvents,
  ) {}

  /** Stores an open room, then announces it (room.created). */
  async create(dto: CreateRoomDto): Promise<RoomDto> {
    const room = await this.rooms.save(
      this.rooms.create({
        name: dto.name.trim(),
        maxParticipants: dto.maxParticipants ?? null,
        lobby: dto.lobby ?? false,
        screenShare: dto.screenShare ?? 'everyone',
        status: 'open',
      }),
    );
    this.events.emit('room.created', {
      roomId: room.id,
      name: room.name,
      lobby: room.lobby,
      maxParticipants: room.maxParticipants,
    });
    return toRoomDto(room);
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(query: {
    status?: RoomStatus;
    limit?: number;
    cursor?: string;
  }): Promise<RoomPageDto> {
    const limit = query.limit ?? 50;
    const qb = this.rooms
      .createQueryBuilder('r')
      .addSelect(CURSOR_TIME, 'cursor_time')
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC');
    if (query.status) qb.andWhere('r.status = :status', { status: query.status });
    if (query.cursor) {
      const after = decodeCursor(query.cursor);
      qb.andWhere(
        '(r.created_at, r.id) < (CAST(:createdAt AS timestamptz), CAST(:id AS uuid))',
        after,
      );
    }
    const { entities, raw } = await qb
      .limit(limit + 1)
      .getRawAndEntities<{ r_id: string; cursor_time: string }>();
    const page = entities.slice(0, limit);
    const last = entities.length > limit ? page[page.length - 1] : undefined;
    const lastTime = last && raw.find((row) => row.r_id === last.id)?.cursor_time;
    return {
      items: page.map(toRoomDto),
      nextCursor: last && lastTime ? encodeCursor(lastTime, last.id) : null,
    };
  }

  async get(roomId: string): Promise<RoomEntity> {
    const room = await this.rooms.findOne({ where: { id: roomId } });
    if (!room) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room ${roomId}`);
    return room;
  }

  /** Changes the settings given (ROOM_NOT_FOUND); the room as stored now, and whether it changed. */
  async update(
    roomId: string,
    dto: UpdateRoomDto,
  ): Promise<{ room: RoomEntity; changed: boolean }> {
    const room = await this.get(roomId);
    if (dto.screenShare === undefined || dto.screenShare === room.screenShare)
      return { room, changed: false };
    await this.rooms.update({ id: roomId }, { screenShare: dto.screenShare });
    return { room: { ...room, screenShare: dto.screenShare }, changed: true };
  }

  async getOpen(roomId: string): Promise<RoomEntity> {
    return assertOpen(await this.get(roomId));
  }

  /**
   * The room and the participant issued for it unless a host removed them, read in one query (a
   * join reads both, and each round trip counts there). Refusals in this order: ROOM_NOT_FOUND,
   * ROOM_CLOSED (with `open`), PARTICIPANT_NOT_FOUND, TOKEN_REVOKED.
   */
  async getWithCurrentParticipant(
    roomId: string,
    participantId: string,
    options: { open?: boolean } = {},
  ): Promise<{ room: RoomEntity; participant: ParticipantEntity }> {
    const { room, participant } = await this.roomAndParticipant(roomId, participantId);
    if (options.open) assertOpen(room);
    if (participant?.roomId !== room.id) throw participantNotFound(participantId);
    assertNotRevoked(participant);
    return { room, participant };
  }

  /**
   * The room (ROOM_NOT_FOUND) and the participant with this id, in whichever room, if any. Plain
   * SQL: this runs three times a join, and building it with TypeORM cost more than the query.
   */
  private async roomAndParticipant(
    roomId: string,
    participantId: string,
  ): Promise<{ room: RoomEntity; participant: ParticipantEntity | undefined }> {
    const rows: RoomAndParticipantRow[] = await this.rooms.query(ROOM_AND_PARTICIPANT, [
      roomId,
      participantId,
    ]);
    const row = rows[0];
    if (!row) throw new DomainError(ErrorCode.ROOM_NOT_FOUND, `No room ${roomId}`);
    const room: RoomEntity = {
      id: row.id,
      name: row.name,
      status: row.status,
      maxParticipants: row.max_participants,
      lobby: row.lobby,
      screenShare: row.screen_share,
      createdAt: row.created_at,
      closedAt: row.closed_at,
    };
    const participant: ParticipantEntity | undefined =
      row.p_id === null
        ? undefined
        : {
            id: row.p_id,
            roomId: row.p_room_id,
            displayName: row.p_display_name,
            role: row.p_role,
            admission: row.p_admission,
            createdAt: row.p_created_at,
            expiresAt: row.p_expires_at,
            revokedAt: row.p_revoked_at,
            idpIssuedAt: row.p_idp_issued_at,
            mutedByHost: row.p_muted_by_host,
            unmuteAsked: row.p_unmute_asked,
            handRaisedAt: row.p_hand_raised_at,
          };
    return { room, participant };
  }

  /** Marks the room closed (idempotent); returns whether this call closed it. */
  async markClosed(roomId: string): Promise<boolean> {
    await this.get(roomId);
    const result = await this.rooms.update(
      { id: roomId, status: 'open' },
      { status: 'closed', closedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Mints a participant identity and its signed join token; refused for closed rooms. */
  async issueToken(roomId: string, displayName: string, role: Role): Promise<JoinTokenDto> {
    const room = await this.getOpen(roomId);
    const participantId = randomUUID();
    const expiresAt = new Date(Date.now() + this.tokens.ttlSeconds * 1000);
    await this.participants.insert({
      id: participantId,
      roomId: room.id,
      displayName: displayName.trim(),
      role,
      admission: room.lobby && role === 'guest' ? 'pending' : 'admitted',
      expiresAt,
    });
    const token = await this.tokens.sign({
      roomId,
      participantId,
      displayName: displayName.trim(),
      role,
      expiresAt,
    });
    return { token, participantId, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Checks a verified token against stored state: the room exists and is open, the identity was
   * issued for it and not revoked. IdP identities are recorded on first use, and every IdP token
   * sets the stored role and display name (the IdP decides them, not the first sign-in).
   */
  async authorize(
    claims: JoinClaims,
    requestedRoomId?: string,
  ): Promise<{ room: RoomEntity; participant: ParticipantEntity }> {
    if (requestedRoomId !== undefined && requestedRoomId !== claims.roomId) {
      throw new DomainError(ErrorCode.TOKEN_WRONG_ROOM, 'This join token is for another room');
    }
    const found = await this.roomAndParticipant(claims.roomId, claims.participantId);
    const room = assertOpen(found.room);
    let participant = found.participant ?? null;
    if (!participant && claims.source === 'idp') {
      await this.participants
        .createQueryBuilder()
        .insert()
        .values({
          id: claims.participantId,
          roomId: room.id,
          displayName: claims.displayName,
          role: claims.role,
          admission: room.lobby && claims.role === 'guest' ? 'pending' : 'admitted',
          expiresAt: claims.expiresAt,
          idpIssuedAt: claims.issuedAt,
        })
        .orIgnore()
        .execute();
      participant = await this.participants.findOne({ where: { id: claims.participantId } });
    }
    if (!participant)
      throw new DomainError(ErrorCode.TOKEN_INVALID, 'This join token was not issued here');
    if (participant.roomId !== room.id) {
      throw new DomainError(ErrorCode.TOKEN_WRONG_ROOM, 'This join token is for another room');
    }
    assertNotRevoked(participant);
    if (claims.source === 'idp') participant = await this.applyIdpClaims(participant, claims);
    return { room, participant };
  }

  /**
   * The IdP decides role and name: a token sets them unless a newer one (by `iat`) already did,
   * so a demoted host's older, still unexpired token does not make them host again.
   */
  private async applyIdpClaims(
    participant: ParticipantEntity,
    claims: JoinClaims,
  ): Promise<ParticipantEntity> {
    const issuedAt = claims.issuedAt ?? new Date(0);
    const { affected } = await this.participants
      .createQueryBuilder()
      .update()
      .set({ role: claims.role, displayName: claims.displayName, idpIssuedAt: issuedAt })
      .where('id = :id', { id: participant.id })
      .andWhere('(idp_issued_at IS NULL OR idp_issued_at <= :issuedAt)', { issuedAt })
      .execute();
    if (affected) {
      return {
        ...participant,
        role: claims.role,
        displayName: claims.displayName,
        idpIssuedAt: issuedAt,
      };
    }
    return (await this.participants.findOne({ where: { id: participant.id } })) ?? participant;
  }

  async getParticipant(roomId: string, participantId: string): Promise<ParticipantEntity> {
    const participant = await this.participants.findOne({ where: { id: participantId, roomId } });
    if (!participant) throw participantNotFound(participantId);
    return participant;
  }

  /**
   * Refuses a lobby decision that cannot apply: an unknown room or participant (404), a room
   * without a lobby, where everyone joins directly (LOBBY_NOT_ENABLED), or rejecting someone
   * already admitted (PARTICIPANT_ALREADY_ADMITTED: remove them instead). Admitting again is fine.
   * Returns the participant, as read for the check.
   */
  async assertLobbyDecision(
    roomId: string,
    participantId: string,
    decision: 'admit' | 'reject',
  ): Promise<ParticipantEntity> {
    const room = await this.get(roomId);
    const participant = await this.getParticipant(roomId, participantId);
    if (!room.lobby) {
      throw new DomainError(
        ErrorCode.LOBBY_NOT_ENABLED,
        'This room has no lobby: participants join directly',
      );
    }
    if (decision === 'reject' && participant.admission === 'admitted') {
      throw new DomainError(
        ErrorCode.PARTICIPANT_ALREADY_ADMITTED,
        'This participant was already admitted; remove them instead',
      );
    }
    return participant;
  }

  async revokeParticipant(roomId: string, participantId: string): Promise<void> {
    await this.getParticipant(roomId, participantId);
    await this.participants.update({ id: participantId, roomId }, { revokedAt: new Date() });
  }

  async setAdmission(participantId: string, admission: 'admitted' | 'rejected'): Promise<void> {
    await this.participants.update({ id: participantId }, { admission });
  }
}
