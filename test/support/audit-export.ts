import { createHash } from 'node:crypto';

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
