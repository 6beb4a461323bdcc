import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../../common/domain-error.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ChatKind } from '../../protocol/events.js';
import { ChatMessageEntity } from './chat-message.entity.js';
import { GENESIS_HASH, linkHash } from './hash-chain.js';

export interface NewMessage {
  roomId: string;
  kind: ChatKind;
  senderId: string;
  senderName: string;
  recipientId: string | null;
  recipientName: string | null;
  text: string;
  clientMessageId: string;
}

export interface AppendResult {
  row: ChatMessageEntity;
  /** True when this (sender, clientMessageId) was stored before: a retry, not a new message. */
  duplicate: boolean;
}

interface Pending {
  message: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 256;
const dedupeKey = (senderId: string, clientMessageId: string) => `${senderId}/${clientMessageId}`;

/**
 * The append-only audit log. Each room is a hash chain; appends to a room are serialized in
 * PostgreSQL by locking the room's chain-head row, so the chain stays linear across processes.
 * Messages arriving while a room's transaction runs are group-committed in the next one.
 * A message's promise resolves only after its transaction has committed.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('AuditLog');
  private readonly queues = new Map<string, { pending: Pending[]; flushing: boolean }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {}

  /** Persists the message (or finds its earlier copy); rejects with AUDIT_UNAVAILABLE on failure. */
  append(message: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(message.roomId);
      if (!queue) {
        queue = { pending: [], flushing: false };
        this.queues.set(message.roomId, queue);
      }
      queue.pending.push({ message, resolve, reject });
      if (!queue.flushing) void this.flush(message.roomId);
    });
  }

  private async flush(roomId: string): Promise<void> {
    const queue = this.queues.get(roomId);
    if (!queue) return;
    queue.flushing = true;
    while (queue.pending.length > 0) {
      const batch = queue.pending.splice(0, MAX_BATCH);
      try {
        const results = await this.dataSource.transaction((tx) =>
          this.commit(
            tx,
            roomId,
            batch.map((p) => p.message),
          ),
        );
        this.metrics.auditBatchSize.observe(batch.length);
        batch.forEach((p, i) => p.resolve(results[i]));
      } catch (error) {
        this.logger.error(
          { err: error, roomId, messages: batch.length },
          'audit write failed; messages not delivered',
        );
        const failure = new DomainError(
          ErrorCode.AUDIT_UNAVAILABLE,
          'The message could not be recorded and was not sent; try again',
        );
        batch.forEach((p) => p.reject(failure));
      }
    }
    queue.flushing = false;
    this.queues.delete(roomId);
  }

  private async commit(
    tx: EntityManager,
    roomId: string,
    messages: NewMessage[],
  ): Promise<AppendResult[]> {
    await tx.query(
      `INSERT INTO chat_chain_heads (room_id, last_seq, last_hash) VALUES ($1, 0, $2) ON CONFLICT (room_id) DO NOTHING`,
      [roomId, GENESIS_HASH],
    );
    const [head] = await tx.query<{ last_seq: string; last_hash: string }[]>(
      `SELECT last_seq, last_hash FROM chat_chain_heads WHERE room_id = $1 FOR UPDATE`,
      [roomId],
    );

    // Retries: rows already stored for (sender, clientMessageId), now visible under the lock.
    const existing = await tx
      .getRepository(ChatMessageEntity)
      .createQueryBuilder('m')
      .where('m.sender_id = ANY(:senders) AND m.client_message_id = ANY(:ids)', {
        senders: [...new Set(messages.map((m) => m.senderId))],
        ids: [...new Set(messages.map((m) => m.clientMessageId))],
      })
      .getMany();
    const known = new Map(
      existing.map((row) => [dedupeKey(row.senderId, row.clientMessageId), row]),
    );

    let seq = Number(head.last_seq);
    let prevHash = head.last_hash;
    const fresh: ChatMessageEntity[] = [];
    const results: AppendResult[] = messages.map((message) => {
      const key = dedupeKey(message.senderId, message.clientMessageId);
      const stored = known.get(key);
      if (stored) return { row: stored, duplicate: true };
      seq += 1;
      const fields = { ...message, id: randomUUID(), seq, createdAt: new Date() };
      const hash = linkHash(prevHash, fields);
      const row = Object.assign(new ChatMessageEntity(), {
        ...fields,
        seq: String(seq),
        prevHash,
        hash,
      });
      prevHash = hash;
      known.set(key, row);
      fresh.push(row);
      return { row, duplicate: false };
    });
    if (fresh.length > 0) {
      await tx.getRepository(ChatMessageEntity).insert(fresh);
      await tx.query(
        `UPDATE chat_chain_heads SET last_seq = $2, last_hash = $3, updated_at = now() WHERE room_id = $1`,
        [roomId, seq, prevHash],
      );
    }
    return results;
  }
}
