import { hash } from 'node:crypto';
import type { ChatKind } from '../../protocol/events.js';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The forms a link's hash has had. 1: the time in milliseconds (rows written before version 2,
 * whose stored time had no sub-millisecond part). 2: the time at the precision PostgreSQL stores
 * it (microseconds), and the version itself, so every stored bit of the row is covered.
 */
export const HASH_VERSIONS = [1, 2] as const;
export type HashVersion = (typeof HASH_VERSIONS)[number];
/** The form new rows are written with. */
export const CURRENT_HASH_VERSION: HashVersion = 2;

/**
 * PostgreSQL's rendering of a timestamptz as UTC with microseconds, `2026-01-31T09:05:00.123456Z`:
 * the exact stored value, which JavaScript's Date (milliseconds) cannot hold.
 */
export const utcMicrosSql = (expression: string) =>
  `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The time as a link of `version` hashes it, from the stored time in UTC with microseconds. */
export function hashedTime(utcMicros: string, version: HashVersion): string {
  return version === 1 ? `${utcMicros.slice(0, 23)}Z` : utcMicros;
}

/** The fields a link's hash covers, exactly as stored. */
export interface ChainFields {
  hashVersion: HashVersion;
  id: string;
  roomId: string;
  seq: number;
  kind: ChatKind;
  senderId: string;
  senderName: string;
  recipientId: string | null;
  recipientName: string | null;
  text: string;
  clientMessageId: string;
  /** The time as this version hashes it (see hashedTime). */
  sentAt: string;
}

/** A message to record: the covered fields its sender determines (the chain adds the others). */
export type NewMessage = Omit<ChainFields, 'hashVersion' | 'id' | 'seq' | 'sentAt'>;

/**
 * hash = SHA-256(canonical form), a JSON array in a fixed order, so no field boundary is
 * ambiguous and any edit, insertion or deletion changes a hash. Version 1:
 * [prev_hash, id, ..., client_message_id, sent_at in ms]; version 2 starts with the number 2 and
 * has sent_at in µs.
 */
export function linkHash(prevHash: string, f: ChainFields): string {
  const fields = [
    prevHash,
    f.id,
    f.roomId,
    f.seq,
    f.kind,
    f.senderId,
    f.senderName,
    f.recipientId,
    f.recipientName,
    f.text,
    f.clientMessageId,
    f.sentAt,
  ];
  const canonical = JSON.stringify(f.hashVersion === 1 ? fields : [f.hashVersion, ...fields]);
  // One-shot: about a third less CPU than createHash().update().digest(), which verify feels.
  return hash('sha256', canonical, 'hex');
}
