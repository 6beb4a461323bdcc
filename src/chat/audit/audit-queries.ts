import { finished, type Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type {
  AuditMessagePageDto,
  ExportQueryDto,
  ListMessagesQueryDto,
  VerifyResultDto,
} from '../dto/audit.dto.js';
import { chainFields, toAuditDto } from './audit-record.mapper.js';
import { AuditSigning, SignatureStatus } from './audit-signing.js';
import { type AuditRecord, AuditStore, type ChainEnd, type RowStream } from './audit.store.js';
import { GENESIS_HASH, linkHash } from './hash-chain.js';

/**
 * Calls `fn` on every record of `rows`, each batch the stream holds in one go: no promise per
 * row as `for await` makes (a few percent of verify's time). Resolves at the end, rejects on the
 * stream's error or `fn`'s.
 */
function eachRecord(rows: Readable, fn: (record: AuditRecord) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    rows.on('readable', () => {
      try {
        let record: AuditRecord | null;
        while ((record = rows.read() as AuditRecord | null) !== null) fn(record);
      } catch (error) {
        rows.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    finished(rows, (error) => (error ? reject(error) : resolve()));
  });
}

/** Read side of the audit log for compliance: listing, streaming export, chain verification. */
@Injectable()
export class AuditQueries {
  constructor(
    private readonly store: AuditStore,
    private readonly signing: AuditSigning,
  ) {}

  /** Keyset pagination on seq, ascending. */
  async list(roomId: string, q: ListMessagesQueryDto): Promise<AuditMessagePageDto> {
    const limit = q.limit ?? 100;
    const rows = await this.store.page({
      roomId,
      afterSeq: q.cursor ?? 0,
      kind: q.kind,
      participantId: q.participantId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toAuditDto),
      nextCursor: rows.length > limit ? page[page.length - 1].seq : null,
    };
  }

  /** Rows for export, read page by page from one snapshot: memory stays flat whatever the volume. */
  exportRows(q: ExportQueryDto): Promise<RowStream> {
    return this.store.exportRows({
      roomId: q.roomId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    });
  }

  /**
   * Recomputes the room's chain from its checkpoint (or genesis) and compares it with every
   * stored row and with the chain head: an edit, insertion or deletion (also of the newest rows)
   * made without recomputing the hashes is detected. One that recomputes them is detected by the
   * head's signature when CONVENE_AUDIT_SIGNING_KEY is set, else only by a head recorded outside
   * the database.
   */
  async verify(roomId: string): Promise<VerifyResultDto> {
    const { head, checkpoint, rows, release } = await this.store.roomChain(roomId);
    let expectedSeq = checkpoint ? checkpoint.seq + 1 : 1;
    let prevHash = checkpoint?.hash ?? GENESIS_HASH;
    let count = 0;
    let firstBrokenSeq: number | undefined;
    try {
      await eachRecord(rows, (record) => {
        count++;
        if (firstBrokenSeq !== undefined) return;
        const seq = record.seq;
        if (seq !== expectedSeq) firstBrokenSeq = Math.min(seq, expectedSeq);
        else if (
          record.prevHash !== prevHash ||
          record.hash !== linkHash(prevHash, chainFields(record))
        )
          firstBrokenSeq = seq;
        prevHash = record.hash;
        expectedSeq = seq + 1;
      });
    } finally {
      await release();
    }
    if (firstBrokenSeq === undefined && head) {
      const lastSeq = head.seq;
      if (expectedSeq - 1 !== lastSeq || prevHash !== head.hash)
        firstBrokenSeq = Math.min(expectedSeq, lastSeq);
    }
    const signature = this.signatureStatus(roomId, head, checkpoint);
    return {
      valid: firstBrokenSeq === undefined && signature !== 'invalid' && signature !== 'absent',
      count,
      ...(firstBrokenSeq !== undefined ? { firstBrokenSeq } : {}),
      ...(checkpoint ? { checkpointSeq: checkpoint.seq } : {}),
      headSeq: head?.seq ?? 0,
      headHash: head?.hash ?? GENESIS_HASH,
      signature,
    };
  }

  /** The head's and the checkpoint's signatures together: the worse of the two. */
  private signatureStatus(
    roomId: string,
    head: ChainEnd | undefined,
    checkpoint: ChainEnd | undefined,
  ): SignatureStatus {
    if (!this.signing.enabled || !head) return 'unchecked';
    const statuses = [
      this.signing.check(head.signature, this.signing.head(roomId, head.seq, head.hash)),
      ...(checkpoint
        ? [
            this.signing.check(
              checkpoint.signature,
              this.signing.checkpoint(roomId, checkpoint.seq, checkpoint.hash),
            ),
          ]
        : []),
    ];
    return (
      (['invalid', 'absent', 'valid'] as const).find((s) => statuses.includes(s)) ?? 'unchecked'
    );
  }
}
