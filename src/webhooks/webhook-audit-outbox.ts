import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditOutbox } from '../chat/audit/audit-outbox.js';
import type { AuditRecord } from '../chat/audit/audit.store.js';
import { WebhooksService } from './webhooks.service.js';

/** chat.message_audited, enqueued in the audit append's transaction: ids and chain metadata only. */
@Injectable()
export class WebhookAuditOutbox extends AuditOutbox {
  constructor(private readonly webhooks: WebhooksService) {
    super();
  }

  get enabled(): boolean {
    return this.webhooks.enabled;
  }

  async write(tx: EntityManager, inserted: AuditRecord[]): Promise<void> {
    if (!this.webhooks.enabled) return;
    await this.webhooks.enqueueIn(
      tx,
      inserted.map((r) => ({
        type: 'chat.message_audited' as const,
        data: {
          roomId: r.roomId,
          messageId: r.id,
          kind: r.kind,
          seq: r.seq,
          hash: r.hash,
          senderId: r.senderId,
          recipientId: r.recipientId,
          sentAt: r.storedAt,
        },
      })),
    );
  }

  committed(): void {
    if (this.webhooks.enabled) this.webhooks.wake();
  }
}
