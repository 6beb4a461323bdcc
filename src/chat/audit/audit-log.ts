import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { DomainError } from '../../common/domain-error.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { isStorableText } from '../../common/text.js';
import { ChatMessageEntity } from './chat-message.entity.js';
import { AuditSigning } from './audit-signing.js';
import {
  CURRENT_HASH_VERSION,
  GENESIS_HASH,
  hashedTime,
  linkHash,
  type NewMessage,
  utcMicrosSql,
} from './hash-chain.js';

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
 * True when PostgreSQL answered and refused what the transaction wrote (a data or constraint
 * error), as opposed to not answering or not being able to work (lost connection, timeout,
 * shutdown, out of resources). Only in the first case can one message be the cause.
 */
function refusedByDatabase(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const cause: unknown = error.driverError;
  if (!(cause instanceof pg.DatabaseError) || typeof cause.code !== 'string') return false;
  return !['08', '53', '57', '58'].includes(cause.code.slice(0, 2));
}

/** The message was not recorded (or it is unknown whether it was), so it was not sent. */
export const auditUnavailable = () =>
  new DomainError(
    ErrorCode.AUDIT_UNAVAILABLE,
    'The message could not be recorded and was not sent; try again',
  );

/**
 * The append-only audit log. Each room is a hash chain; appends to a room are serialized in
 * PostgreSQL by locking the room's chain-head row, so the chain stays linear across processes.
 * Messages arriving while a room's transaction runs are group-committed in the next one; if
 * PostgreSQL refuses a batch's content, its messages are retried one per transaction, so one bad
 * message fails alone. A message's promise resolves only after its transaction has committed.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('AuditLog');
  private readonly queues = new Map<string, { pending: Pending[]; flushing: boolean }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
    private readonly signing: AuditSigning,
  ) {}

  /**
   * Persists the message (or finds its earlier copy). Rejects with AUDIT_UNAVAILABLE when it
   * could not be recorded, VALIDATION_FAILED when it could not be recorded exactly.
   */
  append(message: NewMessage): Promise<AppendResult> {
    // A field PostgreSQL would refuse or alter must not reach a batch: it would fail the others,
    // or be stored differently from what was hashed. Text is checked at the door; names come
    // from tokens, so they are checked here.
    const fields = [message.text, message.senderName, message.recipientName ?? ''];
    if (!fields.every(isStorableText)) {
      return Promise.reject(
        new DomainError(
          ErrorCode.VALIDATION_FAILED,
          'The message or a display name contains characters that cannot be recorded (NUL or an unpaired surrogate)',
        ),
      );
    }
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
        await this.commitBatch(roomId, batch);
      } catch (error) {
        if (batch.length > 1 && refusedByDatabase(error)) {
          // One message's content may be the cause: commit them one by one, so it fails alone.
          this.logger.warn(
            { err: error, roomId, messages: batch.length },
            'audit batch refused; committing its messages one by one',
          );
          await this.commitOneByOne(roomId, batch);
        } else {
          this.fail(roomId, batch, error);
        }
      }
    }
    queue.flushing = false;
    this.queues.delete(roomId);
  }

  /** One transaction for the batch; each promise resolves only after the commit. */
  private async commitBatch(roomId: string, batch: Pending[]): Promise<void> {
    const results = await this.dataSource.transaction((tx) =>
      this.commit(
        tx,
        roomId,
        batch.map((p) => p.message),
      ),
    );
    this.metrics.auditBatchSize.observe(batch.length);
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  /** In order, one transaction each; once the database is unavailable, the rest fail at once. */
  private async commitOneByOne(roomId: string, batch: Pending[]): Promise<void> {
    for (const [i, pending] of batch.entries()) {
      try {
        await this.commitBatch(roomId, [pending]);
      } catch (error) {
        if (refusedByDatabase(error)) {
          this.fail(roomId, [pending], error);
        } else {
          this.fail(roomId, batch.slice(i), error);
          return;
        }
      }
    }
  }

  private fail(roomId: string, pending: Pending[], error: unknown): void {
    this.logger.error(
      { err: error, roomId, messages: pending.length },
      'audit write failed; messages not delivered',
    );
    const failure = auditUnavailable();
    pending.forEach((p) => p.reject(failure));
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
    // The time comes from PostgreSQL, rendered exactly as it will be stored (microseconds), so
    // the hash covers every stored digit; all messages of a batch share this one reading.
    const [head] = await tx.query<
      { last_seq: string; last_hash: string; signature: string | null; now: string }[]
    >(
      `SELECT last_seq, last_hash, signature, ${utcMicrosSql('clock_timestamp()')} AS now
       FROM chat_chain_heads WHERE room_id = $1 FOR UPDATE`,
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

    const headSeq = Number(head.last_seq);
    let seq = headSeq;
    let prevHash = head.last_hash;
    const fresh: ChatMessageEntity[] = [];
    const results: AppendResult[] = messages.map((message) => {
      const key = dedupeKey(message.senderId, message.clientMessageId);
      const stored = known.get(key);
      if (stored) return { row: stored, duplicate: true };
      seq += 1;
      const fields = {
        ...message,
        hashVersion: CURRENT_HASH_VERSION,
        id: randomUUID(),
        seq,
        sentAt: hashedTime(head.now, CURRENT_HASH_VERSION),
      };
      const hash = linkHash(prevHash, fields);
      const row = Object.assign(new ChatMessageEntity(), {
        ...message,
        id: fields.id,
        seq: String(seq),
        createdAt: new Date(head.now),
        prevHash,
        hash,
        hashVersion: CURRENT_HASH_VERSION,
      });
      prevHash = hash;
      known.set(key, row);
      fresh.push(row);
      return { row, duplicate: false };
    });
    if (fresh.length > 0) {
      await this.insert(tx, fresh, head.now);
      // Never sign over a head whose signature is missing or wrong: that would vouch for a
      // rewrite. Such a head keeps its signature, and verify keeps reporting it. Without a key,
      // heads are left unsigned.
      const untrusted =
        this.signing.enabled &&
        headSeq > 0 &&
        this.signing.check(head.signature, this.signing.head(roomId, headSeq, head.last_hash)) !==
          'valid';
      const signature = untrusted ? head.signature : this.signing.head(roomId, seq, prevHash);
      await tx.query(
        `UPDATE chat_chain_heads SET last_seq = $2, last_hash = $3, signature = $4, updated_at = now() WHERE room_id = $1`,
        [roomId, seq, prevHash, signature],
      );
    }
    return results;
  }

  /** One INSERT for the batch, with created_at as the exact text that was hashed. */
  private async insert(tx: EntityManager, rows: ChatMessageEntity[], createdAt: string) {
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      const values = [
        r.id,
        r.roomId,
        r.seq,
        r.kind,
        r.senderId,
        r.senderName,
        r.recipientId,
        r.recipientName,
        r.text,
        r.clientMessageId,
        createdAt,
        r.prevHash,
        r.hash,
        r.hashVersion,
      ];
      return `(${values.map((v) => `$${params.push(v)}`).join(', ')})`;
    });
    await tx.query(
      `INSERT INTO chat_messages (id, room_id, seq, kind, sender_id, sender_name, recipient_id,
         recipient_name, text, client_message_id, created_at, prev_hash, hash, hash_version)
       VALUES ${tuples.join(', ')}`,
      params,
    );
  }
}
