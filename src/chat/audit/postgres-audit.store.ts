import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { readCursor } from './audit-cursor.js';
import { AuditOutbox } from './audit-outbox.js';
import { columnValues, type RawMessageRow, toAuditRecord } from './audit-record.mapper.js';
import {
  type AppendResult,
  type AuditRecord,
  AuditStore,
  type ChainAppend,
  type ChainEnd,
  type ChainSigner,
  type ExportFilter,
  type LockedHead,
  type PageFilter,
  type RoomChain,
  type RowStream,
} from './audit.store.js';
import { CURRENT_HASH_VERSION, GENESIS_HASH, type NewMessage, utcMicrosSql } from './hash-chain.js';

/** Every column, and the stored time with its microseconds. */
const AUDIT_ROW_SQL = `SELECT *, ${utcMicrosSql('created_at')} AS created_at_us FROM chat_messages`;

/**
 * The same without created_at itself, which pg would parse into a Date no one reads: for exports
 * and verify, which read every row.
 */
const AUDIT_READ_SQL = `SELECT id, room_id, seq, kind, sender_id, sender_name, recipient_id,
  recipient_name, text, client_message_id, prev_hash, hash, hash_version,
  ${utcMicrosSql('created_at')} AS created_at_us FROM chat_messages`;

interface HeadRow {
  last_seq: string;
  last_hash: string;
  signature: string | null;
}

interface LockedHeadRow {
  head_seq: string;
  head_hash: string;
  head_signature: string | null;
  head_now: string;
  /** Stored rows of the batch's retries (as JSON: seq is a number there). */
  retries: RawMessageRow[];
}

interface ExpectedHeadRow extends Omit<LockedHeadRow, 'head_seq'> {
  appended: boolean;
  /** Null when the room has no head yet. */
  head_seq: string | null;
}

/** A head this process wrote, with its row's stored time. */
interface KnownHead extends ChainEnd {
  at: string;
}

/** Links against a known head before falling back to the locked path. */
const EXPECTED_HEAD_ATTEMPTS = 3;
/** Rooms whose head is remembered (the oldest forgotten first); a forgotten one costs a round trip. */
const KNOWN_HEADS_MAX = 10_000;

/** A time as PostgreSQL renders it in utcMicrosSql (JavaScript's clock has milliseconds). */
const utcMicros = (date: Date) => date.toISOString().replace('Z', '000Z');

interface CheckpointRow {
  seq: string;
  hash: string;
  signature: string | null;
}

/** The audit trail in PostgreSQL: the only code that reads or writes its three tables. */
@Injectable()
export class PostgresAuditStore extends AuditStore {
  private readonly heads = new Map<string, KnownHead>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly outbox?: AuditOutbox,
  ) {
    super();
  }

  async appendBatch(
    roomId: string,
    messages: NewMessage[],
    link: (head: LockedHead, stored: AuditRecord[]) => ChainAppend,
  ): Promise<AppendResult[]> {
    // The outbox's rows must commit in the same transaction: only the locked path writes them.
    if (!this.outbox?.enabled) {
      const results = await this.appendToKnownHead(roomId, link);
      if (results) return results;
    }
    return this.appendLocked(roomId, messages, link);
  }

  /**
   * The fast path: one statement (convene_audit_append_expected), linked to the head this
   * process last wrote. The database appends only if that is still the head; otherwise it
   * returns the current one, and the batch is linked again (a few times, then the locked path).
   * Undefined when this process knows no head for the room, or gave up.
   */
  private async appendToKnownHead(
    roomId: string,
    link: (head: LockedHead, stored: AuditRecord[]) => ChainAppend,
  ): Promise<AppendResult[] | undefined> {
    const known = this.heads.get(roomId);
    if (!known) return undefined;
    this.heads.delete(roomId); // known again only once an append of ours is known to commit
    // Our clock, never before the head row's time; the database refuses it if more than a
    // second from its own (then its time is used, as on the locked path).
    const clock = utcMicros(new Date());
    let head: LockedHead = { ...known, now: clock > known.at ? clock : known.at };
    let stored: AuditRecord[] = [];
    for (let attempt = 0; attempt < EXPECTED_HEAD_ATTEMPTS; attempt++) {
      const append = link(head, stored);
      if (append.inserts.length === 0) return append.results;
      const row = await this.appendExpected(roomId, head, append);
      if (row.appended) {
        this.remember(roomId, append.head, head.now);
        return append.results;
      }
      if (row.head_seq === null) return undefined;
      head = {
        seq: Number(row.head_seq),
        hash: row.head_hash,
        signature: row.head_signature,
        now: row.head_now,
      };
      stored = row.retries.map(toAuditRecord);
    }
    return undefined;
  }

  private async appendExpected(
    roomId: string,
    head: LockedHead,
    append: ChainAppend,
  ): Promise<ExpectedHeadRow> {
    const rows = append.inserts;
    const column = <K extends keyof AuditRecord>(key: K) => rows.map((r) => r[key]);
    const { rows: result } = await this.pool().query<ExpectedHeadRow>({
      name: 'convene_audit_append_expected',
      text: `SELECT * FROM convene_audit_append_expected($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
        $11, $12, $13, $14, $15, $16, $17, $18)`,
      values: [
        roomId,
        head.seq,
        head.hash,
        head.signature,
        head.now,
        append.head.hash,
        append.head.signature,
        CURRENT_HASH_VERSION,
        column('id'),
        column('kind'),
        column('senderId'),
        column('senderName'),
        column('recipientId'),
        column('recipientName'),
        column('text'),
        column('clientMessageId'),
        column('prevHash'),
        column('hash'),
      ],
    });
    return result[0];
  }

  /** The head a commit of ours left, for the next batch to link to (a guess the database checks). */
  private remember(roomId: string, head: ChainEnd, at: string): void {
    if (this.heads.size >= KNOWN_HEADS_MAX) {
      const oldest = this.heads.keys().next();
      if (!oldest.done) this.heads.delete(oldest.value);
    }
    this.heads.set(roomId, { ...head, at });
  }

  /** The pg pool under TypeORM's data source: the hot path skips the query runner. */
  private pool(): pg.Pool {
    return (this.dataSource.driver as PostgresDriver).master as pg.Pool;
  }

  /** The locked path: a transaction that locks the head, then links and inserts the batch. */
  private async appendLocked(
    roomId: string,
    messages: NewMessage[],
    link: (head: LockedHead, stored: AuditRecord[]) => ChainAppend,
  ): Promise<AppendResult[]> {
    let committed: { head: ChainEnd; at: string } | undefined;
    const results = await this.dataSource.transaction(async (tx) => {
      // One round trip (migration AuditLockHead): the head, created if the room has none and
      // locked, then the rows already stored for (sender, clientMessageId), read after the lock.
      // The time comes from PostgreSQL, rendered exactly as it will be stored (microseconds), so
      // the hash covers every stored digit; all messages of a batch share this one reading.
      const [head] = await tx.query<LockedHeadRow[]>(
        `SELECT * FROM convene_audit_lock_head($1, $2, $3, $4)`,
        [
          roomId,
          GENESIS_HASH,
          [...new Set(messages.map((m) => m.senderId))],
          [...new Set(messages.map((m) => m.clientMessageId))],
        ],
      );
      const append = link(
        {
          seq: Number(head.head_seq),
          hash: head.head_hash,
          signature: head.head_signature,
          now: head.head_now,
        },
        head.retries.map(toAuditRecord),
      );
      if (append.inserts.length === 0) return append.results;

      // One statement inserts the batch, with created_at as the exact text that was hashed, and
      // moves the head ($1 to $4).
      const params: unknown[] = [roomId, append.head.seq, append.head.hash, append.head.signature];
      const tuples = append.inserts.map((r) => {
        const values = columnValues(r, r.storedAt);
        return `(${values.map((v) => `$${params.push(v)}`).join(', ')})`;
      });
      await tx.query(
        `WITH inserted AS (
           INSERT INTO chat_messages (id, room_id, seq, kind, sender_id, sender_name, recipient_id,
             recipient_name, text, client_message_id, created_at, prev_hash, hash, hash_version)
           VALUES ${tuples.join(', ')} RETURNING 1)
         UPDATE chat_chain_heads SET last_seq = $2, last_hash = $3, signature = $4, updated_at = now()
         WHERE room_id = $1 AND (SELECT count(*) FROM inserted) = ${append.inserts.length}`,
        params,
      );
      if (this.outbox) await this.outbox.write(tx, append.inserts);
      committed = { head: append.head, at: head.head_now };
      return append.results;
    });
    if (committed) {
      this.remember(roomId, committed.head, committed.at);
      this.outbox?.committed();
    }
    return results;
  }

  refused(error: unknown): boolean {
    // TypeORM wraps the driver's errors; the fast path gets pg's own.
    const cause: unknown = error instanceof QueryFailedError ? error.driverError : error;
    if (!(cause instanceof pg.DatabaseError) || typeof cause.code !== 'string') return false;
    // Connection exceptions, insufficient resources, operator intervention, system errors.
    return !['08', '53', '57', '58'].includes(cause.code.slice(0, 2));
  }

  async findRetry(senderId: string, clientMessageId: string): Promise<AuditRecord | undefined> {
    const [row] = await this.dataSource.query<RawMessageRow[]>(
      `${AUDIT_ROW_SQL} WHERE sender_id = $1 AND client_message_id = $2`,
      [senderId, clientMessageId],
    );
    return row ? toAuditRecord(row) : undefined;
  }

  async history(
    roomId: string,
    viewerId: string,
    before: number | undefined,
    limit: number,
  ): Promise<AuditRecord[]> {
    const params: unknown[] = [roomId, viewerId];
    const where = ['room_id = $1', `(kind = 'public' OR sender_id = $2 OR recipient_id = $2)`];
    if (before !== undefined) where.push(`seq < $${params.push(before)}`);
    const rows = await this.dataSource.query<RawMessageRow[]>(
      `${AUDIT_ROW_SQL} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.reverse().map(toAuditRecord);
  }

  async page(f: PageFilter): Promise<AuditRecord[]> {
    const params: unknown[] = [f.roomId, f.afterSeq];
    const where = ['room_id = $1', 'seq > $2'];
    if (f.kind) where.push(`kind = $${params.push(f.kind)}`);
    if (f.participantId) {
      const p = params.push(f.participantId);
      where.push(`(sender_id = $${p} OR recipient_id = $${p})`);
    }
    if (f.from) where.push(`created_at >= $${params.push(f.from)}`);
    if (f.to) where.push(`created_at < $${params.push(f.to)}`);
    const rows = await this.dataSource.query<RawMessageRow[]>(
      `${AUDIT_ROW_SQL} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.push(f.limit)}`,
      params,
    );
    return rows.map(toAuditRecord);
  }

  exportRows(f: ExportFilter): Promise<RowStream> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.roomId) where.push(`room_id = $${params.push(f.roomId)}`);
    if (f.from) where.push(`created_at >= $${params.push(f.from)}`);
    if (f.to) where.push(`created_at < $${params.push(f.to)}`);
    const sql = `${AUDIT_READ_SQL} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY room_id, seq`;
    return readCursor(this.dataSource, sql, params);
  }

  async roomChain(roomId: string): Promise<RoomChain> {
    const ends: Pick<RoomChain, 'head' | 'checkpoint'> = {};
    const rows = await readCursor(
      this.dataSource,
      `${AUDIT_READ_SQL} WHERE room_id = $1 ORDER BY seq`,
      [roomId],
      async (runner) => {
        const [checkpoint] = (await runner.query(
          `SELECT seq, hash, signature FROM chat_checkpoints WHERE room_id = $1`,
          [roomId],
        )) as CheckpointRow[];
        const [head] = (await runner.query(
          `SELECT last_seq, last_hash, signature FROM chat_chain_heads WHERE room_id = $1`,
          [roomId],
        )) as HeadRow[];
        if (head)
          ends.head = {
            seq: Number(head.last_seq),
            hash: head.last_hash,
            signature: head.signature,
          };
        if (checkpoint)
          ends.checkpoint = {
            seq: Number(checkpoint.seq),
            hash: checkpoint.hash,
            signature: checkpoint.signature,
          };
      },
    );
    return { ...ends, ...rows };
  }

  async roomsWithRowsBefore(cutoff: Date): Promise<string[]> {
    const rooms = await this.dataSource.query<{ room_id: string }[]>(
      `SELECT DISTINCT room_id FROM chat_messages WHERE created_at < $1`,
      [cutoff],
    );
    return rooms.map((r) => r.room_id);
  }

  purgeStep(roomId: string, cutoff: Date, batchRows: number, signer: ChainSigner): Promise<number> {
    return this.dataSource.transaction(async (tx) => {
      // The one sanctioned path past the append-only triggers, for this transaction only.
      await tx.query(`SELECT set_config('convene.audit_purge', 'on', true)`);
      const [head] = await tx.query<{ last_seq: string }[]>(
        `SELECT last_seq FROM chat_chain_heads WHERE room_id = $1 FOR UPDATE`,
        [roomId],
      );
      if (!head) return 0;
      const [range] = await tx.query<{ keep_from: string | null; first: string | null }[]>(
        `SELECT (SELECT min(seq) FROM chat_messages WHERE room_id = $1 AND created_at >= $2)
                  AS keep_from,
                (SELECT min(seq) FROM chat_messages WHERE room_id = $1) AS first`,
        [roomId, cutoff],
      );
      if (!range || range.first === null) return 0;
      // Only a prefix of the chain can go, so a newer row never loses its predecessor's hash.
      const prefixEnd =
        range.keep_from === null ? Number(head.last_seq) : Number(range.keep_from) - 1;
      const upTo = Math.min(prefixEnd, Number(range.first) + batchRows - 1);
      const [last] = await tx.query<{ hash: string }[]>(
        `SELECT hash FROM chat_messages WHERE room_id = $1 AND seq = $2`,
        [roomId, upTo],
      );
      if (!last) return 0;
      const [, deleted] = await tx.query<[unknown, number]>(
        `DELETE FROM chat_messages WHERE room_id = $1 AND seq <= $2`,
        [roomId, upTo],
      );
      await tx.query(
        `INSERT INTO chat_checkpoints (room_id, seq, hash, purged_count, signature)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash,
           purged_count = chat_checkpoints.purged_count + EXCLUDED.purged_count,
           signature = EXCLUDED.signature, created_at = now()`,
        [roomId, upTo, last.hash, deleted, signer.checkpoint(roomId, upTo, last.hash)],
      );
      return deleted;
    });
  }

  signUnsigned(signer: ChainSigner): Promise<string[]> {
    return this.dataSource.transaction(async (tx) => {
      const heads = await tx.query<{ room_id: string; last_seq: string; last_hash: string }[]>(
        `SELECT room_id, last_seq, last_hash FROM chat_chain_heads WHERE signature IS NULL FOR UPDATE`,
      );
      for (const h of heads)
        await tx.query(`UPDATE chat_chain_heads SET signature = $2 WHERE room_id = $1`, [
          h.room_id,
          signer.head(h.room_id, Number(h.last_seq), h.last_hash),
        ]);
      // Checkpoints are otherwise written only by the retention purge (a trigger enforces it).
      await tx.query(`SELECT set_config('convene.audit_purge', 'on', true)`);
      const checkpoints = await tx.query<{ room_id: string; seq: string; hash: string }[]>(
        `SELECT room_id, seq, hash FROM chat_checkpoints WHERE signature IS NULL FOR UPDATE`,
      );
      for (const c of checkpoints)
        await tx.query(`UPDATE chat_checkpoints SET signature = $2 WHERE room_id = $1`, [
          c.room_id,
          signer.checkpoint(c.room_id, Number(c.seq), c.hash),
        ]);
      return [...heads, ...checkpoints].map((r) => r.room_id);
    });
  }
}
