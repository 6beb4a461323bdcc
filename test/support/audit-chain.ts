import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  CURRENT_HASH_VERSION,
  type ChainFields,
  GENESIS_HASH,
  linkHash,
} from '../../src/chat/audit/hash-chain.js';
import { copyIn } from './pg-copy.js';

/** Rows per COPY statement. */
const BATCH = 50_000;

const TEXTS = [
  'Can you send me the slides before the call?',
  'Sure, "final_v3.pdf" is on the share, page 12 has the numbers',
  'The budget line for Q3 looks off by 4%, let us check it together',
  'Réunion déplacée à 15 h, merci de confirmer 👍',
  'ok',
  'Reminder: the audit review is on Thursday; bring the retention report, the DPA and the list of rooms',
];

/** COPY's text format: backslash, tab and line breaks escaped, NULL as \N. */
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyField = (v: string | number | null) =>
  v === null ? '\\N' : String(v).replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]);

/**
 * Stores a valid chain of `rows` messages in a room that has none, fast (COPY) but as convene
 * would have stored them: 20 participants, a third of the messages private, hash version 2,
 * distinct µs timestamps 2 ms apart ending 30 days ago, each row linked with the project's own
 * linkHash; then the room's chain head (unsigned). Returns the head's hash.
 */
export async function insertChain(dbUrl: string, roomId: string, rows: number): Promise<string> {
  const people = Array.from({ length: 20 }, (_, i) => ({
    id: randomUUID(),
    name: `Participant ${i + 1}`,
  }));
  const baseMs = Date.now() - 30 * 86_400_000 - rows * 2;
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  let prevHash = GENESIS_HASH;
  try {
    for (let first = 1; first <= rows; first += BATCH) {
      const lines: string[] = [];
      for (let seq = first; seq < Math.min(first + BATCH, rows + 1); seq++) {
        const sender = people[seq % people.length];
        const recipient = seq % 3 === 0 ? people[(seq + 1 + (seq % 7)) % people.length] : null;
        const iso = new Date(baseMs + seq * 2).toISOString();
        const fields: ChainFields = {
          hashVersion: CURRENT_HASH_VERSION,
          id: randomUUID(),
          roomId,
          seq,
          kind: recipient ? 'private' : 'public',
          senderId: sender.id,
          senderName: sender.name,
          recipientId: recipient?.id ?? null,
          recipientName: recipient?.name ?? null,
          text: `${TEXTS[seq % TEXTS.length]} (#${seq})`,
          clientMessageId: randomUUID(),
          // The stored time exactly as PostgreSQL renders it back (utcMicrosSql).
          sentAt: `${iso.slice(0, 23)}${String(seq % 1000).padStart(3, '0')}Z`,
        };
        const hash = linkHash(prevHash, fields);
        const values = [
          fields.id,
          roomId,
          seq,
          fields.kind,
          fields.senderId,
          fields.senderName,
          fields.recipientId,
          fields.recipientName,
          fields.text,
          fields.clientMessageId,
          fields.sentAt,
          prevHash,
          hash,
          fields.hashVersion,
        ];
        lines.push(values.map(copyField).join('\t') + '\n');
        prevHash = hash;
      }
      await copyIn(
        client,
        `COPY chat_messages (id, room_id, seq, kind, sender_id, sender_name, recipient_id,
           recipient_name, text, client_message_id, created_at, prev_hash, hash, hash_version)
         FROM STDIN`,
        [Buffer.from(lines.join(''))],
      );
    }
    await client.query(
      `INSERT INTO chat_chain_heads (room_id, last_seq, last_hash) VALUES ($1, $2, $3)`,
      [roomId, rows, prevHash],
    );
  } finally {
    await client.end();
  }
  return prevHash;
}
