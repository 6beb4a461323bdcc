import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type {
  AuditMessageDto,
  AuditMessagePageDto,
  ExportQueryDto,
  ListMessagesQueryDto,
  VerifyResultDto,
} from '../dto/audit.dto.js';
import { ChatMessageEntity } from './chat-message.entity.js';
import { GENESIS_HASH, linkHash } from './hash-chain.js';

/** A raw chat_messages row as pg returns it (snake_case, bigint as string). */
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
  created_at: Date;
  prev_hash: string;
  hash: string;
}

export function toAuditDto(row: ChatMessageEntity): AuditMessageDto {
  return {
    id: row.id,
    roomId: row.roomId,
    seq: Number(row.seq),
    kind: row.kind,
    from: { participantId: row.senderId, displayName: row.senderName },
    to: row.recipientId
      ? { participantId: row.recipientId, displayName: row.recipientName ?? '' }
      : null,
    text: row.text,
    clientMessageId: row.clientMessageId,
    sentAt: row.createdAt.toISOString(),
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export function rawToEntity(raw: RawMessageRow): ChatMessageEntity {
  return Object.assign(new ChatMessageEntity(), {
    id: raw.id,
    roomId: raw.room_id,
    seq: raw.seq,
    kind: raw.kind,
    senderId: raw.sender_id,
    senderName: raw.sender_name,
    recipientId: raw.recipient_id,
    recipientName: raw.recipient_name,
    text: raw.text,
    clientMessageId: raw.client_message_id,
    createdAt: raw.created_at,
    prevHash: raw.prev_hash,
    hash: raw.hash,
  });
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
    @InjectRepository(ChatMessageEntity) private readonly messages: Repository<ChatMessageEntity>,
  ) {}

  /** Keyset pagination on seq, ascending. */
  async list(roomId: string, q: ListMessagesQueryDto): Promise<AuditMessagePageDto> {
    const limit = q.limit ?? 100;
    const qb = this.messages
      .createQueryBuilder('m')
      .where('m.room_id = :roomId', { roomId })
      .andWhere('m.seq > :cursor', { cursor: q.cursor ?? 0 })
      .orderBy('m.seq', 'ASC')
      .limit(limit + 1);
    if (q.kind) qb.andWhere('m.kind = :kind', { kind: q.kind });
    if (q.participantId)
      qb.andWhere('(m.sender_id = :p OR m.recipient_id = :p)', { p: q.participantId });
    if (q.from) qb.andWhere('m.created_at >= :from', { from: new Date(q.from) });
    if (q.to) qb.andWhere('m.created_at < :to', { to: new Date(q.to) });
    const rows = await qb.getMany();
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
    const sql = `SELECT * FROM chat_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY room_id, seq`;
    return this.stream(sql, params);
  }

  /**
   * Recomputes the room's chain from its checkpoint (or genesis) and compares it with every
   * stored row and with the chain head: an edit, insertion or deletion (also of the newest rows)
   * made without recomputing the hashes is detected. One that recomputes them is not; that is
   * what recording the returned head outside the database is for.
   */
  async verify(roomId: string): Promise<VerifyResultDto> {
    const [checkpoint] = await this.dataSource.query<{ seq: string; hash: string }[]>(
      `SELECT seq, hash FROM chat_checkpoints WHERE room_id = $1`,
      [roomId],
    );
    const [head] = await this.dataSource.query<{ last_seq: string; last_hash: string }[]>(
      `SELECT last_seq, last_hash FROM chat_chain_heads WHERE room_id = $1`,
      [roomId],
    );

    let expectedSeq = checkpoint ? Number(checkpoint.seq) + 1 : 1;
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let count = 0;
    let firstBrokenSeq: number | undefined;
    const { rows, release } = await this.stream(
      `SELECT * FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
      [roomId],
    );
    try {
      for await (const raw of rows as AsyncIterable<RawMessageRow>) {
        count++;
        if (firstBrokenSeq !== undefined) continue;
        const row = rawToEntity(raw);
        const seq = Number(row.seq);
        const recomputed = linkHash(prevHash, { ...row, seq });
        if (seq !== expectedSeq) firstBrokenSeq = Math.min(seq, expectedSeq);
        else if (row.prevHash !== prevHash || row.hash !== recomputed) firstBrokenSeq = seq;
        prevHash = row.hash;
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
    return {
      valid: firstBrokenSeq === undefined,
      count,
      ...(firstBrokenSeq !== undefined ? { firstBrokenSeq } : {}),
      ...(checkpoint ? { checkpointSeq: Number(checkpoint.seq) } : {}),
      headSeq: head ? Number(head.last_seq) : 0,
      headHash: head?.last_hash ?? GENESIS_HASH,
    };
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
