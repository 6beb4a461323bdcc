import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type {
  AuditMessageDto,
  AuditMessagePageDto,
  ExportQueryDto,
  ListMessagesQueryDto,
  VerifyResultDto,
} from '../dto/audit.dto.js';
import { AuditSigning, SignatureStatus } from './audit-signing.js';
import {
  ChainFields,
  GENESIS_HASH,
  HashVersion,
  hashedTime,
  linkHash,
  utcMicrosSql,
} from './hash-chain.js';

/** A raw chat_messages row as pg returns it (snake_case, bigint as string), from AUDIT_ROW_SQL. */
export interface RawMessageRow {
  id: string;
  room_id: string;
  seq: string;
  kind: 'public' | 'private';
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

/** Every column, and the stored time with its microseconds. */
export const AUDIT_ROW_SQL = `SELECT *, ${utcMicrosSql('created_at')} AS created_at_us FROM chat_messages`;

/** The fields the row's hash covers, with the time as its version hashes it. */
export function chainFields(raw: RawMessageRow): ChainFields {
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
    sentAt: hashedTime(raw.created_at_us, raw.hash_version),
  };
}

/** The exported form: every column, the time exactly as hashed (ms for version 1, µs for 2). */
export function toAuditDto(raw: RawMessageRow): AuditMessageDto {
  const f = chainFields(raw);
  return {
    id: f.id,
    roomId: f.roomId,
    seq: f.seq,
    kind: raw.kind,
    from: { participantId: f.senderId, displayName: f.senderName },
    to: f.recipientId ? { participantId: f.recipientId, displayName: f.recipientName ?? '' } : null,
    text: f.text,
    clientMessageId: f.clientMessageId,
    sentAt: f.sentAt,
    prevHash: raw.prev_hash,
    hash: raw.hash,
    hashVersion: f.hashVersion,
  };
}

/** A row stream over a server-side cursor, plus the release of its connection. */
export interface RowStream {
  rows: Readable;
  release: () => Promise<void>;
}

/** Read side of the audit log for compliance: listing, streaming export, chain verification. */
@Injectable()
export class AuditQueries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly signing: AuditSigning,
  ) {}

  /** Keyset pagination on seq, ascending. */
  async list(roomId: string, q: ListMessagesQueryDto): Promise<AuditMessagePageDto> {
    const limit = q.limit ?? 100;
    const params: unknown[] = [roomId, q.cursor ?? 0];
    const where = ['room_id = $1', 'seq > $2'];
    if (q.kind) where.push(`kind = $${params.push(q.kind)}`);
    if (q.participantId) {
      const p = params.push(q.participantId);
      where.push(`(sender_id = $${p} OR recipient_id = $${p})`);
    }
    if (q.from) where.push(`created_at >= $${params.push(new Date(q.from))}`);
    if (q.to) where.push(`created_at < $${params.push(new Date(q.to))}`);
    const rows = await this.dataSource.query<RawMessageRow[]>(
      `${AUDIT_ROW_SQL} WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.push(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    return {
      items: page.map(toAuditDto),
      nextCursor: rows.length > limit ? Number(page[page.length - 1].seq) : null,
    };
  }

  /** Rows for export, from a database cursor: memory stays flat whatever the volume. */
  async exportRows(q: ExportQueryDto): Promise<RowStream> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.roomId) where.push(`room_id = $${params.push(q.roomId)}`);
    if (q.from) where.push(`created_at >= $${params.push(new Date(q.from))}`);
    if (q.to) where.push(`created_at < $${params.push(new Date(q.to))}`);
    const sql = `${AUDIT_ROW_SQL} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY room_id, seq`;
    return this.stream(sql, params);
  }

  /**
   * Recomputes the room's chain from its checkpoint (or genesis) and compares it with every
   * stored row and with the chain head: an edit, insertion or deletion (also of the newest rows)
   * made without recomputing the hashes is detected. One that recomputes them is detected by the
   * head's signature when CONVENE_AUDIT_SIGNING_KEY is set, else only by a head recorded outside
   * the database.
   */
  async verify(roomId: string): Promise<VerifyResultDto> {
    const [checkpoint] = await this.dataSource.query<
      { seq: string; hash: string; signature: string | null }[]
    >(`SELECT seq, hash, signature FROM chat_checkpoints WHERE room_id = $1`, [roomId]);
    const [head] = await this.dataSource.query<
      { last_seq: string; last_hash: string; signature: string | null }[]
    >(`SELECT last_seq, last_hash, signature FROM chat_chain_heads WHERE room_id = $1`, [roomId]);

    let expectedSeq = checkpoint ? Number(checkpoint.seq) + 1 : 1;
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let count = 0;
    let firstBrokenSeq: number | undefined;
    const { rows, release } = await this.stream(
      `${AUDIT_ROW_SQL} WHERE room_id = $1 ORDER BY seq`,
      [roomId],
    );
    try {
      for await (const raw of rows as AsyncIterable<RawMessageRow>) {
        count++;
        if (firstBrokenSeq !== undefined) continue;
        const fields = chainFields(raw);
        const seq = fields.seq;
        if (seq !== expectedSeq) firstBrokenSeq = Math.min(seq, expectedSeq);
        else if (raw.prev_hash !== prevHash || raw.hash !== linkHash(prevHash, fields))
          firstBrokenSeq = seq;
        prevHash = raw.hash;
        expectedSeq = seq + 1;
      }
    } finally {
      await release();
    }
    if (firstBrokenSeq === undefined && head) {
      const lastSeq = Number(head.last_seq);
      if (expectedSeq - 1 !== lastSeq || prevHash !== head.last_hash)
        firstBrokenSeq = Math.min(expectedSeq, lastSeq);
    }
    const signature = this.signatureStatus(roomId, head, checkpoint);
    return {
      valid: firstBrokenSeq === undefined && signature !== 'invalid' && signature !== 'absent',
      count,
      ...(firstBrokenSeq !== undefined ? { firstBrokenSeq } : {}),
      ...(checkpoint ? { checkpointSeq: Number(checkpoint.seq) } : {}),
      headSeq: head ? Number(head.last_seq) : 0,
      headHash: head?.last_hash ?? GENESIS_HASH,
      signature,
    };
  }

  /** The head's and the checkpoint's signatures together: the worse of the two. */
  private signatureStatus(
    roomId: string,
    head: { last_seq: string; last_hash: string; signature: string | null } | undefined,
    checkpoint: { seq: string; hash: string; signature: string | null } | undefined,
  ): SignatureStatus {
    if (!this.signing.enabled || !head) return 'unchecked';
    const statuses = [
      this.signing.check(
        head.signature,
        this.signing.head(roomId, Number(head.last_seq), head.last_hash),
      ),
      ...(checkpoint
        ? [
            this.signing.check(
              checkpoint.signature,
              this.signing.checkpoint(roomId, Number(checkpoint.seq), checkpoint.hash),
            ),
          ]
        : []),
    ];
    return (
      (['invalid', 'absent', 'valid'] as const).find((s) => statuses.includes(s)) ?? 'unchecked'
    );
  }

  private async stream(sql: string, params: unknown[]): Promise<RowStream> {
    const runner = this.dataSource.createQueryRunner('slave');
    await runner.connect();
    try {
      const rows = await runner.stream(sql, params);
      return { rows, release: () => runner.release() };
    } catch (error) {
      await runner.release();
      throw error;
    }
  }
}
