import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsDisplayableText } from '../../common/text.js';
import {
  type RoomSettings,
  SCREEN_SHARE_POLICIES,
  type ScreenSharePolicy,
} from '../../protocol/events.js';
import { ROOM_STATUSES, type RoomStatus } from '../room.entity.js';

export class CreateRoomDto {
  /** Shown to participants: no control characters or bidirectional overrides. */
  @IsString()
  @Length(1, 200)
  @IsDisplayableText()
  name!: string;

  /** Most people connected at once; unlimited when absent. */
  @ApiProperty({ type: 'integer', required: false })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxParticipants?: number;

  /** Guests wait in a lobby until a host admits them. */
  @IsOptional()
  @IsBoolean()
  lobby?: boolean;

  /**
   * Who may share their screen: `everyone` (default) or only `hosts`. With
   * CONVENE_GUESTS_MAY_SHARE=false guests never may.
   */
  @ApiProperty({ enum: SCREEN_SHARE_POLICIES, required: false })
  @IsOptional()
  @IsIn(SCREEN_SHARE_POLICIES)
  screenShare?: ScreenSharePolicy;
}

export class UpdateRoomDto implements Partial<RoomSettings> {
  /**
   * Who may share their screen from now on: `everyone` or only `hosts` (shares already running
   * go on). The room's participants are told (`room:updated`).
   */
  @ApiProperty({ enum: SCREEN_SHARE_POLICIES, required: false })
  @IsOptional()
  @IsIn(SCREEN_SHARE_POLICIES)
  screenShare?: ScreenSharePolicy;
}

export class ListRoomsQueryDto {
  /** Only rooms in this status; every room when absent. */
  @IsOptional()
  @IsIn(ROOM_STATUSES)
  status?: RoomStatus;

  /** Page size, 1..200 (default 50). */
  @ApiProperty({ type: 'integer', required: false })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}

export class RoomDto {
  id!: string;
  name!: string;
  status!: RoomStatus;
  /** Most people connected at once; null when unlimited. */
  @ApiProperty({ type: 'integer', nullable: true })
  maxParticipants!: number | null;
  lobby!: boolean;
  /** Who may share their screen. */
  @ApiProperty({ enum: SCREEN_SHARE_POLICIES })
  screenShare!: ScreenSharePolicy;
  createdAt!: string;
  closedAt!: string | null;
}

export class RoomPageDto {
  items!: RoomDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor!: string | null;
}
