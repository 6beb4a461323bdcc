import { createHash } from 'node:crypto';
import type { TestDatabase } from './database.js';

/** The fields of an exported NDJSON line that its hash covers. */
export interface ExportedLink {
  prevHash: string;
  id: string;
  roomId: string;
  seq: number;
  kind: string;
  from: { participantId: string; displayName: string };
  to?: { participantId: string; displayName: string | null } | null;
  text: string;
  clientMessageId: string;
  sentAt: string;
  hashVersion: number;
}

/**
 * A link's hash exactly as the README documents it for offline checks, for both hash versions,
 * computed from an exported NDJSON line alone (independently of the server's code).
 */
export function documentedHash(m: ExportedLink): string {
  const fields = [
    m.prevHash,
    m.id,
    m.roomId,
    m.seq,
    m.kind,
    m.from.participantId,
    m.from.displayName,
    m.to?.participantId ?? null,
    m.to?.displayName ?? null,
    m.text,
    m.clientMessageId,
    m.sentAt,
  ];
  const canonical = JSON.stringify(m.hashVersion === 1 ? fields : [m.hashVersion, ...fields]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Rewrites a room's chain as someone with write access but without the signing key would: the
 * texts in `texts` (by seq) replace the stored ones, every hash from the first link on is
 * recomputed in the documented form, and the chain head moves to the last. Returns that hash.
 */
export async function rewriteChain(
  db: TestDatabase,
  roomId: string,
  links: readonly ExportedLink[],
  texts: Record<number, string>,
): Promise<string> {
  let link = '0'.repeat(64);
  for (const m of links) {
    const forged = { ...m, text: texts[m.seq] ?? m.text, prevHash: link };
    link = documentedHash(forged);
    await db.tamper(
      `UPDATE chat_messages SET text = $3, prev_hash = $4, hash = $5 WHERE room_id = $1 AND seq = $2`,
      [roomId, m.seq, forged.text, forged.prevHash, link],
    );
  }
  await db.tamper(`UPDATE chat_chain_heads SET last_hash = $2 WHERE room_id = $1`, [roomId, link]);
  return link;
}
