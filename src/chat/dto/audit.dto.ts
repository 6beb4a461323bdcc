import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import type { ChatKind } from '../../protocol/events.js';

export class ListMessagesQueryDto {
  @IsOptional()
  @IsIn(['public', 'private'])
  kind?: ChatKind;

  /** Messages this participant sent or received. */
  @IsOptional()
  @IsUUID()
  participantId?: string;

  /** Sent at or after this instant (ISO 8601). */
  @IsOptional()
  @IsDateString()
  from?: string;

  /** Sent before this instant (ISO 8601). */
  @IsOptional()
  @IsDateString()
  to?: string;

  /** `nextCursor` from the previous page. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  // Number('1e308') is an integer too; beyond this it is not a seq (and not a bigint).
  @Max(Number.MAX_SAFE_INTEGER)
  cursor?: number;

  /** Page size, 1..1000 (default 100). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class ExportQueryDto {
  /** Only this room; all rooms when absent. */
  @IsOptional()
  @IsUUID()
  roomId?: string;

  @IsOptional()
  @IsDateString()
  from?: string;

  @IsOptional()
  @IsDateString()
  to?: string;

  /** `ndjson` (default) or `csv`. */
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}

export class AuditParticipantDto {
  participantId!: string;
  displayName!: string;
}

/** One audited message, with its place in the room's hash chain. */
export class AuditMessageDto {
  id!: string;
  roomId!: string;
  seq!: number;
  kind!: ChatKind;
  from!: AuditParticipantDto;
  /** The recipient of a private message; null for public messages. */
  to!: AuditParticipantDto | null;
  text!: string;
  clientMessageId!: string;
  sentAt!: string;
  prevHash!: string;
  hash!: string;
}

export class AuditMessagePageDto {
  items!: AuditMessageDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor!: number | null;
}

export class VerifyResultDto {
  /** True when every stored row matches the hash chain and the chain head. */
  valid!: boolean;
  /** Rows checked. */
  count!: number;
  /** The first seq whose row is altered, missing or out of place. */
  firstBrokenSeq?: number;
  /** Rows before this seq were purged by retention; the chain is checked from its checkpoint. */
  checkpointSeq?: number;
  /**
   * The chain head as stored: the last seq (0 before the first message). Record it with
   * `headHash` outside the database: the chain alone cannot show a rewrite by someone who can
   * write to the database and recompute the hashes.
   */
  headSeq!: number;
  /** The hash of message `headSeq` (64 zeros before the first message). */
  headHash!: string;
}
