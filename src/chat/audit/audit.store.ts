import type { Readable } from 'node:stream';
import type { ChatKind } from '../../protocol/events.js';
import type { ChainFields, NewMessage } from './hash-chain.js';

/** A stored audit row: the fields its hash covers, the time as stored, and its two links. */
export interface AuditRecord extends Omit<ChainFields, 'sentAt'> {
  /** created_at exactly as stored: UTC with microseconds (`2026-01-31T09:05:00.123456Z`). */
  storedAt: string;
  prevHash: string;
  hash: string;
}

/** A chain head (last seq and its hash) or a retention checkpoint (last purged seq and its hash). */
export interface ChainEnd {
  seq: number;
  hash: string;
  signature: string | null;
}

/** The head as an append locked it, and the one clock reading its batch's rows get (UTC, µs). */
export interface LockedHead extends ChainEnd {
  now: string;
}

export interface AppendResult {
  record: AuditRecord;
  /** True when this (sender, clientMessageId) was stored before: a retry, not a new message. */
  duplicate: boolean;
}

/** What an append writes after the locked head: its new rows in seq order, and the new head. */
export interface ChainAppend {
  /** Per message of the batch, in order. */
  results: AppendResult[];
  /** Empty when every message was a retry; the head then stays as it is. */
  inserts: AuditRecord[];
  head: ChainEnd;
}

/** Audit records streamed from the database as the consumer reads, plus the release of its connection. */
export interface RowStream {
  /** Object mode, one AuditRecord per chunk. */
  rows: Readable;
  release: () => Promise<void>;
}

/** The signatures a store writes (AuditSigning); null without a key. */
export interface ChainSigner {
  head(roomId: string, seq: number, hash: string): string | null;
  checkpoint(roomId: string, seq: number, hash: string): string | null;
}

export interface PageFilter {
  roomId: string;
  /** Rows with a greater seq. */
  afterSeq: number;
  kind?: ChatKind;
  /** Rows this participant sent or received. */
  participantId?: string;
  from?: Date;
  to?: Date;
  limit: number;
}

export interface ExportFilter {
  roomId?: string;
  from?: Date;
  to?: Date;
}

/**
 * All storage of the audit trail: chat_messages, chat_chain_heads, chat_checkpoints. The rules
 * (hashing, signing policy, retention period, verification) are the callers'; a store only
 * guarantees that each method is one consistent unit (a transaction where it writes).
 */
/** A room's whole chain as one snapshot saw it; `release` ends the snapshot. */
export interface RoomChain extends RowStream {
  head?: ChainEnd;
  checkpoint?: ChainEnd;
}

export abstract class AuditStore {
  /**
   * One transaction: locks the room's chain head (creating it at genesis), finds the rows
   * already stored for the batch's (sender, clientMessageId) pairs, lets `link` place the
   * messages after the head, inserts its rows and moves the head. Resolves after the commit.
   */
  abstract appendBatch(
    roomId: string,
    messages: NewMessage[],
    link: (head: LockedHead, stored: AuditRecord[]) => ChainAppend,
  ): Promise<AppendResult[]>;

  /**
   * True when the database answered and refused what an append wrote (a data or constraint
   * error), as opposed to not answering or not being able to work: only then can one message
   * be the cause.
   */
  abstract refused(error: unknown): boolean;

  /** The row this sender stored under clientMessageId, if any. */
  abstract findRetry(senderId: string, clientMessageId: string): Promise<AuditRecord | undefined>;

  /** The room's last `limit` rows public or sent/received by `viewerId`, before seq `before`; oldest first. */
  abstract history(
    roomId: string,
    viewerId: string,
    before: number | undefined,
    limit: number,
  ): Promise<AuditRecord[]>;

  /** The room's rows matching the filter, in seq order. */
  abstract page(filter: PageFilter): Promise<AuditRecord[]>;

  /** The rows matching the filter, in room then seq order, streamed from one snapshot. */
  abstract exportRows(filter: ExportFilter): Promise<RowStream>;

  /**
   * The room's chain head, retention checkpoint and rows (seq order, streamed), all read
   * from one snapshot: messages appended or purged meanwhile are not half seen.
   */
  abstract roomChain(roomId: string): Promise<RoomChain>;

  /** Rooms with rows stored before `cutoff`. */
  abstract roomsWithRowsBefore(cutoff: Date): Promise<string[]>;

  /**
   * One transaction, under the room's chain-head lock: deletes at most `batchRows` of the
   * room's oldest rows, only a prefix of the chain and only rows before `cutoff`, and moves the
   * checkpoint (signed by `signer`) to the last one. Returns the rows deleted.
   */
  abstract purgeStep(
    roomId: string,
    cutoff: Date,
    batchRows: number,
    signer: ChainSigner,
  ): Promise<number>;

  /**
   * One transaction: signs every unsigned chain head and checkpoint as it stands. Returns the
   * room of each one signed (heads, then checkpoints).
   */
  abstract signUnsigned(signer: ChainSigner): Promise<string[]>;
}
