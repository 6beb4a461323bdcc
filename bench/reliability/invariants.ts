/**
 * What a reliability run promises, checked against the database after the load: every
 * acknowledged message stored exactly once, nothing delivered without a committed row, no
 * private message seen by a third person, every room's chain valid.
 */
import { admin } from '../servers.js';
import type { ChatLoad } from './chat-load.js';

export interface Invariants {
  /** Acknowledged (first try or retry) with no row: lost. */
  messagesLost: number;
  /** Acknowledged messages whose (sender, clientMessageId) has other than exactly one row. */
  ackedNotExactlyOnce: number;
  /** Distinct messages some receiver got, with no committed row. */
  deliveredWithoutRow: number;
  /** Private messages received by someone who neither sent them nor was their recipient. */
  privateSeenByOthers: number;
  /** The same message to the same connection more than once. */
  duplicateDeliveries: number;
  /** Rooms whose chain the verify endpoint did not find valid. */
  chainsInvalid: number;
  chainsVerified: number;
  acked: number;
  rows: number;
  /** Refused (AUDIT_UNAVAILABLE: outcome unknown) yet found stored; allowed, and counted. */
  refusedButStored: number;
  /** Unacknowledged sends retried with the same clientMessageId, and what the retries said. */
  retried: { total: number; storedResult: number; failed: number; noAck: number };
}

interface Row {
  id: string;
  sender_id: string;
  client_message_id: string;
}

/** `rows`: every chat_messages row of the run. */
export async function checkInvariants(
  load: ChatLoad,
  rows: Row[],
  adminUrl: string,
): Promise<Invariants> {
  const ids = new Set(rows.map((r) => r.id));
  const perKey = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.sender_id}/${r.client_message_id}`;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
  }
  const records = load.recordsOf();
  const keyOf = (r: (typeof records)[number]) => `${r.sender.participantId}/${r.clientMessageId}`;
  const ackedIds = records.flatMap((r) =>
    [r.messageId, r.retry?.messageId].filter((id): id is string => id !== undefined),
  );
  const acked = records.filter((r) => r.outcome === 'ok' || r.retry?.outcome === 'ok');
  const retried = records.filter((r) => r.retry);
  let chainsInvalid = 0;
  for (const roomId of load.roomIds) {
    const verify = await admin<{ valid: boolean }>(adminUrl, `/rooms/${roomId}/messages/verify`);
    if (!verify.valid) chainsInvalid += 1;
  }
  return {
    messagesLost: ackedIds.filter((id) => !ids.has(id)).length,
    ackedNotExactlyOnce: acked.filter((r) => perKey.get(keyOf(r)) !== 1).length,
    deliveredWithoutRow: [...load.delivered].filter((id) => !ids.has(id)).length,
    privateSeenByOthers: load.leaks.length,
    duplicateDeliveries: load.duplicateDeliveries,
    chainsInvalid,
    chainsVerified: load.roomIds.length,
    acked: acked.length,
    rows: rows.length,
    refusedButStored: records.filter(
      (r) => r.code === 'AUDIT_UNAVAILABLE' && r.retry === undefined && perKey.has(keyOf(r)),
    ).length,
    retried: {
      total: retried.length,
      storedResult: retried.filter((r) => r.retry?.outcome === 'ok').length,
      failed: retried.filter((r) => r.retry?.outcome === 'error').length,
      noAck: retried.filter((r) => r.retry?.outcome === 'no-ack').length,
    },
  };
}
