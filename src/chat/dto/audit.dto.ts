import { Type } from 'class-transformer';
import { IsDateString, IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { CHAT_KINDS, type ChatKind } from '../../protocol/events.js';
import { EXPORT_FORMATS, type ExportFormat } from '../audit/export-format.js';
import { SIGNATURE_STATUSES, type SignatureStatus } from '../audit/audit-signing.js';
import { HASH_VERSIONS, type HashVersion } from '../audit/hash-chain.js';

export class ListMessagesQueryDto {
  /** Only public or only private messages; both when absent. */
  @IsOptional()
  @IsIn(CHAT_KINDS)
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

  /** Sent at or after this instant (ISO 8601). */
  @IsOptional()
  @IsDateString()
  from?: string;

  /** Sent before this instant (ISO 8601). */
  @IsOptional()
  @IsDateString()
  to?: string;

  /** `ndjson` (default) or `csv`. */
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
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
  /**
   * When it was recorded (UTC), exactly as hashed: milliseconds for hashVersion 1
   * (`2026-01-31T09:05:00.123Z`), microseconds, as stored, for 2 (`2026-01-31T09:05:00.123456Z`).
   */
  sentAt!: string;
  prevHash!: string;
  hash!: string;
  /** The form of `hash` (README, "Checking an export offline"). */
  @ApiProperty({ enum: HASH_VERSIONS, type: 'integer' })
  hashVersion!: HashVersion;
}

export class AuditMessagePageDto {
  items!: AuditMessageDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor!: number | null;
}

export class VerifyResultDto {
  /**
   * True when every stored row matches the hash chain and the chain head, and (with a signing
   * key) `signature` is `valid` or `unchecked`.
   */
  valid!: boolean;
  /** Rows checked. */
  count!: number;
  /** The first seq whose row is altered, missing or out of place. */
  firstBrokenSeq?: number;
  /** Rows before this seq were purged by retention; the chain is checked from its checkpoint. */
  checkpointSeq?: number;
  /**
   * The chain head as stored: the last seq (0 before the first message). Without a signing key,
   * record it with `headHash` outside the database: the chain alone cannot show a rewrite by
   * someone who can write to the database and recompute the hashes.
   */
  headSeq!: number;
  /** The hash of message `headSeq` (64 zeros before the first message). */
  headHash!: string;
  /**
   * The HMAC of the chain head and of the retention checkpoint (CONVENE_AUDIT_SIGNING_KEY):
   * `valid`; `invalid` (a head or checkpoint not written by a holder of the key: a rewrite);
   * `absent` (one has no signature); `unchecked` (no key configured, or no message yet).
   */
  @ApiProperty({ enum: SIGNATURE_STATUSES })
  signature!: SignatureStatus;
}
