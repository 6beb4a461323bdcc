import type { ChatKind, ChatMessage } from '../../protocol/events.js';
import type { AuditMessageDto } from '../dto/audit.dto.js';
import type { AuditRecord } from './audit.store.js';
import { type ChainFields, type HashVersion, hashedTime } from './hash-chain.js';

/** A raw chat_messages row as pg returns it (snake_case, bigint as string), with created_at_us. */
export interface RawMessageRow {
  id: string;
  room_id: string;
  seq: string;
  kind: ChatKind;
  sender_id: string;
  sender_name: string;
  recipient_id: string | null;
  recipient_name: string | null;
  text: string;
  client_message_id: string;
  /** As pg parses it: milliseconds only. */
  created_at: Date;
  /** created_at as stored, UTC with microseconds (utcMicrosSql). */
  created_at_us: string;
  prev_hash: string;
  hash: string;
  hash_version: HashVersion;
}

/** What a record is made of: the row without created_at as pg parses it. */
export type StoredRow = Omit<RawMessageRow, 'created_at'>;

export function toAuditRecord(raw: StoredRow): AuditRecord {
  return {
    hashVersion: raw.hash_version,
    id: raw.id,
    roomId: raw.room_id,
    seq: Number(raw.seq),
    kind: raw.kind,
    senderId: raw.sender_id,
    senderName: raw.sender_name,
    recipientId: raw.recipient_id,
    recipientName: raw.recipient_name,
    text: raw.text,
    clientMessageId: raw.client_message_id,
    storedAt: raw.created_at_us,
    prevHash: raw.prev_hash,
    hash: raw.hash,
  };
}

/** The time as the record's hash covers it (and as it is exported): ms for version 1, µs for 2. */
export const hashedSentAt = (r: AuditRecord) => hashedTime(r.storedAt, r.hashVersion);

/**
 * The record's columns in chat_messages' order (id, room_id, seq, kind, sender_id, sender_name,
 * recipient_id, recipient_name, text, client_message_id, created_at, prev_hash, hash,
 * hash_version), with `time` in created_at's place: the stored text on insert, the hashed time
 * in an export.
 */
export function columnValues(r: AuditRecord, time: string): (string | number | null)[] {
  return [
    r.id,
    r.roomId,
    r.seq,
    r.kind,
    r.senderId,
    r.senderName,
    r.recipientId,
    r.recipientName,
    r.text,
    r.clientMessageId,
    time,
    r.prevHash,
    r.hash,
    r.hashVersion,
  ];
}

/** The fields the record's hash covers. */
export function chainFields(r: AuditRecord): ChainFields {
  return {
    hashVersion: r.hashVersion,
    id: r.id,
    roomId: r.roomId,
    seq: r.seq,
    kind: r.kind,
    senderId: r.senderId,
    senderName: r.senderName,
    recipientId: r.recipientId,
    recipientName: r.recipientName,
    text: r.text,
    clientMessageId: r.clientMessageId,
    sentAt: hashedSentAt(r),
  };
}

/** The message as participants see it; its time in milliseconds. */
export function toChatMessage(r: AuditRecord): ChatMessage {
  return {
    id: r.id,
    roomId: r.roomId,
    seq: r.seq,
    kind: r.kind,
    from: { participantId: r.senderId, displayName: r.senderName },
    to: r.recipientId,
    text: r.text,
    sentAt: hashedTime(r.storedAt, 1),
  };
}

/** The exported form: every column, the time exactly as hashed (ms for version 1, µs for 2). */
export function toAuditDto(r: AuditRecord): AuditMessageDto {
  return {
    id: r.id,
    roomId: r.roomId,
    seq: r.seq,
    kind: r.kind,
    from: { participantId: r.senderId, displayName: r.senderName },
    to: r.recipientId ? { participantId: r.recipientId, displayName: r.recipientName ?? '' } : null,
    text: r.text,
    clientMessageId: r.clientMessageId,
    sentAt: hashedSentAt(r),
    prevHash: r.prevHash,
    hash: r.hash,
    hashVersion: r.hashVersion,
  };
}
