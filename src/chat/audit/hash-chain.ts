import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** The fields a link's hash covers, exactly as stored. */
export interface ChainFields {
  id: string;
  roomId: string;
  seq: number;
  kind: string;
  senderId: string;
  senderName: string;
  recipientId: string | null;
  recipientName: string | null;
  text: string;
  clientMessageId: string;
  createdAt: Date;
}

/**
 * hash = SHA-256(prev_hash || canonical fields). The canonical form is a JSON array in a fixed
 * order, so no field boundary is ambiguous and any edit, insertion or deletion changes a hash.
 */
export function linkHash(prevHash: string, f: ChainFields): string {
  const canonical = JSON.stringify([
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
    f.createdAt.toISOString(),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
