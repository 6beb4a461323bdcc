import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { IsDisplayableText } from '../../common/text.js';
import {
  type LobbyEntry,
  MEDIA_KINDS,
  type MediaKind,
  type ParticipantView,
  ROLES,
  type Role,
} from '../../protocol/events.js';

export class IssueTokenDto {
  /** The name other participants see. */
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'displayName must not be blank' })
  @IsDisplayableText()
  displayName!: string;

  /** Defaults to `participant`. Guests wait in the lobby of lobby rooms. */
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

export class JoinTokenDto {
  /** A signed join token: give it to the person (e.g. in a `/join#token=...` link). */
  token!: string;
  /** Stable identity of this person in the room, also across reconnects. */
  participantId!: string;
  expiresAt!: string;
}

export class LiveParticipantDto implements ParticipantView {
  participantId!: string;
  displayName!: string;
  role!: Role;
  joinedAt!: string;
  /** When they raised their hand, or null; hands are taken oldest first. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  handRaisedAt!: string | null;
  /** What a host muted hard: they cannot unmute it until a host allows it. */
  @ApiProperty({ enum: MEDIA_KINDS, isArray: true })
  mutedByHost!: MediaKind[];
}

export class LobbyEntryDto implements LobbyEntry {
  participantId!: string;
  displayName!: string;
  waitingSince!: string;
}
