import type { EntityManager } from 'typeorm';
import type { AuditRecord } from './audit.store.js';

/**
 * What else learns of newly audited messages (webhooks), written by the append's own
 * transaction: it commits with the rows or not at all, so an event is never lost between the
 * commit and a later write, and never announces a message that was rolled back. The cost is one
 * statement per batch (not per message) while the room's chain head is locked, amortized by
 * group commit like the rows themselves, and none when nothing listens. Only ids and chain
 * metadata are for the outbox to pass on, never a message's text.
 */
export abstract class AuditOutbox {
  /** False while nothing listens: then write() would write nothing, and appends skip it. */
  abstract readonly enabled: boolean;

  /** Runs in the append's transaction, after its rows are inserted; `inserted` is never empty. */
  abstract write(tx: EntityManager, inserted: AuditRecord[]): Promise<void>;

  /** Called once that transaction has committed. */
  abstract committed(): void;
}
