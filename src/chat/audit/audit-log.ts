import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type DatabaseConfig, databaseConfig } from '../../config/configuration.js';
import { DomainError } from '../../common/domain-error.js';
import { Metrics } from '../../metrics/metrics.service.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { isStorableText } from '../../common/text.js';
import { AuditSigning } from './audit-signing.js';
import {
  type AppendResult,
  type AuditRecord,
  AuditStore,
  type ChainAppend,
  type LockedHead,
} from './audit.store.js';
import { CURRENT_HASH_VERSION, hashedTime, linkHash, type NewMessage } from './hash-chain.js';

interface Pending {
  message: NewMessage;
  resolve: (result: AppendResult) => void;
  reject: (error: Error) => void;
}

const MAX_BATCH = 256;
/**
 * A message is answered within the database deadline plus this, however long it waited behind
 * other batches or for a connection (over a silent link a new connection can take longer).
 */
const ANSWER_GRACE_MS = 1_000;
const dedupeKey = (senderId: string, clientMessageId: string) => `${senderId}/${clientMessageId}`;

/** The message was not recorded (or it is unknown whether it was), so it was not sent. */
export const auditUnavailable = () =>
  new DomainError(
    ErrorCode.AUDIT_UNAVAILABLE,
    'The message could not be recorded and was not sent; try again',
  );

/**
 * The append-only audit log's group-commit queue. Each room is a hash chain; the store
 * serializes appends to a room in the database (the room's chain-head row, locked), so the chain
 * stays linear across processes.
 * Messages arriving while a room's transaction runs are group-committed in the next one; if
 * PostgreSQL refuses a batch's content, its messages are retried one per transaction, so one bad
 * message fails alone. A message's promise resolves only after its transaction has committed,
 * and is answered AUDIT_UNAVAILABLE once `CONVENE_DB_QUERY_TIMEOUT_MS` plus a second has passed
 * since `append`: a message still queued then is dropped (never stored); one whose transaction
 * is running may still commit (its outcome is unknown to the sender, whose retry with the same
 * clientMessageId finds it), but is not delivered.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('AuditLog');
  private readonly queues = new Map<string, { pending: Pending[]; flushing: boolean }>();

  constructor(
    private readonly store: AuditStore,
    private readonly metrics: Metrics,
    private readonly signing: AuditSigning,
    @Inject(databaseConfig.KEY) private readonly database: Pick<DatabaseConfig, 'queryTimeoutMs'>,
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
      const timer = setTimeout(() => {
        // Still queued: out of the queue, so it is never stored.
        const waiting = this.queues.get(message.roomId)?.pending;
        const at = waiting?.indexOf(pending) ?? -1;
        if (at >= 0) waiting?.splice(at, 1);
        this.logger.warn(
          { roomId: message.roomId, queued: at >= 0 },
          'audit write not answered in time; message not delivered',
        );
        reject(auditUnavailable());
      }, this.database.queryTimeoutMs + ANSWER_GRACE_MS).unref();
      const pending: Pending = {
        message,
        resolve: (result) => (clearTimeout(timer), resolve(result)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
      queue.pending.push(pending);
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
        if (batch.length > 1 && this.store.refused(error)) {
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
    const messages = batch.map((p) => p.message);
    const results = await this.store.appendBatch(roomId, messages, (head, stored) =>
      this.link(roomId, messages, head, stored),
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
        if (this.store.refused(error)) {
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

  /**
   * Places the batch after the locked head: a message stored before (or earlier in the batch)
   * is a duplicate; each new one gets the next seq, the batch's time and its hash.
   */
  private link(
    roomId: string,
    messages: NewMessage[],
    head: LockedHead,
    stored: AuditRecord[],
  ): ChainAppend {
    const known = new Map(stored.map((r) => [dedupeKey(r.senderId, r.clientMessageId), r]));
    let seq = head.seq;
    let prevHash = head.hash;
    const inserts: AuditRecord[] = [];
    const results: AppendResult[] = messages.map((message) => {
      const key = dedupeKey(message.senderId, message.clientMessageId);
      const prior = known.get(key);
      if (prior) return { record: prior, duplicate: true };
      seq += 1;
      const fields = {
        ...message,
        hashVersion: CURRENT_HASH_VERSION,
        id: randomUUID(),
        seq,
        sentAt: hashedTime(head.now, CURRENT_HASH_VERSION),
      };
      const hash = linkHash(prevHash, fields);
      const record: AuditRecord = {
        ...message,
        hashVersion: CURRENT_HASH_VERSION,
        id: fields.id,
        seq,
        storedAt: head.now,
        prevHash,
        hash,
      };
      prevHash = hash;
      known.set(key, record);
      inserts.push(record);
      return { record, duplicate: false };
    });
    // Never sign over a head whose signature is missing or wrong: that would vouch for a
    // rewrite. Such a head keeps its signature, and verify keeps reporting it. Without a key,
    // heads are left unsigned.
    const untrusted =
      this.signing.enabled &&
      head.seq > 0 &&
      this.signing.check(head.signature, this.signing.head(roomId, head.seq, head.hash)) !==
        'valid';
    const signature = untrusted ? head.signature : this.signing.head(roomId, seq, prevHash);
    return { results, inserts, head: { seq, hash: prevHash, signature } };
  }
}
