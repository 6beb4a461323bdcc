/**
 * The durable floor: the bare relay (bench/relay.ts) plus the one thing convene's promise cannot
 * skip, a committed row per message before anyone receives it. Any design that keeps
 * `synchronous_commit` on and commits before delivery pays at least this; convene pays it plus
 * validation, authorisation, the hash chain, signing and the room's order.
 *
 * What it does per message, and nothing more: queue it; whenever fewer than `FLOOR_POOL`
 * inserts are in flight, insert everything queued as one multi-row INSERT (its own transaction,
 * raw `pg`, one round trip), then emit to the recipient and the sender and ack. Rows go to
 * `bench_floor_messages`, created `LIKE chat_messages INCLUDING ALL` in the benchmark's
 * database: the same columns, checks and indexes (not the foreign key or the append-only
 * triggers, so the floor is, if anything, cheaper than it should be). No chain: the hashes are a
 * constant, the order is the process's.
 *
 * Environment: DATABASE_URL, FLOOR_POOL (default 4), PORT. Prints `listening <port>`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { Server, type Socket } from 'socket.io';
import { CONFERENCE_NAMESPACE } from '../src/protocol/events.js';

interface RelayPayload {
  kind: string;
  to?: string;
  text: string;
  clientMessageId: string;
}

interface Queued {
  socket: Socket;
  me: string;
  payload: RelayPayload;
  ack: (r: unknown) => void;
}

const POOL = Number(process.env.FLOOR_POOL ?? 4);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: POOL });
const ROOM = randomUUID();
const NO_HASH = '0'.repeat(64);
/** The relay's participant names are not uuids; each gets one, as a stored sender id must be. */
const ids = new Map<string, string>();
const uuidOf = (name: string): string => {
  let id = ids.get(name);
  if (id === undefined) ids.set(name, (id = randomUUID()));
  return id;
};

const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });
const namespace = io.of(CONFERENCE_NAMESPACE);
let seq = 0;
let queue: Queued[] = [];
let inFlight = 0;

const INSERT = `INSERT INTO bench_floor_messages (id, room_id, seq, kind, sender_id, sender_name,
  recipient_id, recipient_name, text, client_message_id, created_at, prev_hash, hash)
  SELECT id, $1, seq, kind, sender, sender_name, recipient, recipient_name, text, client_id, now(), $2, $2
  FROM unnest($3::uuid[], $4::bigint[], $5::text[], $6::uuid[], $7::text[], $8::uuid[], $9::text[],
    $10::text[], $11::uuid[]) AS b(id, seq, kind, sender, sender_name, recipient, recipient_name, text, client_id)`;

async function flush(batch: Queued[]): Promise<void> {
  const rows = batch.map((q) => ({
    q,
    message: {
      id: randomUUID(),
      roomId: ROOM,
      seq: (seq += 1),
      kind: q.payload.kind,
      from: { participantId: q.me, displayName: q.me },
      to: q.payload.to ?? null,
      text: q.payload.text,
      sentAt: new Date().toISOString(),
    },
  }));
  const column = <T>(f: (r: (typeof rows)[number]) => T): T[] => rows.map(f);
  try {
    await pool.query(INSERT, [
      ROOM,
      NO_HASH,
      column((r) => r.message.id),
      column((r) => r.message.seq),
      column((r) => r.message.kind),
      column((r) => uuidOf(r.q.me)),
      column((r) => r.q.me),
      column((r) => (r.q.payload.to === undefined ? null : uuidOf(r.q.payload.to))),
      column((r) => r.q.payload.to ?? null),
      column((r) => r.message.text),
      column((r) => r.q.payload.clientMessageId),
    ]);
  } catch (error) {
    for (const { q } of rows)
      q.ack({ ok: false, error: { code: 'AUDIT_UNAVAILABLE', message: String(error) } });
    return;
  }
  for (const { q, message } of rows) {
    namespace
      .to([`participant:${q.payload.to}`, `participant:${q.me}`])
      .emit('chat:message', message);
    q.ack({ ok: true, message });
  }
}

function pump(): void {
  while (inFlight < POOL && queue.length > 0) {
    const batch = queue;
    queue = [];
    inFlight += 1;
    void flush(batch).finally(() => {
      inFlight -= 1;
      pump();
    });
  }
}

namespace.on('connection', (socket) => {
  const me = String((socket.handshake.auth as { participantId?: string }).participantId);
  void socket.join(`participant:${me}`);
  socket.on('chat:send', (payload: RelayPayload, ack: (r: unknown) => void) => {
    queue.push({ socket, me, payload, ack });
    pump();
  });
});

async function main(): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS bench_floor_messages (LIKE chat_messages INCLUDING ALL)`,
  );
  http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    console.log(`listening ${(http.address() as AddressInfo).port}`);
  });
}

process.on('SIGTERM', () => {
  void io.close();
  void pool.end().finally(() => process.exit(0));
});
main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
