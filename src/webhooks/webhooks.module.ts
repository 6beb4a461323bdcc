import { Module } from '@nestjs/common';
import { AuditOutbox } from '../chat/audit/audit-outbox.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { WebhookAuditOutbox } from './webhook-audit-outbox.js';
import { WebhookDeliveries } from './webhook-deliveries.repository.js';
import { WebhookRetention } from './webhook-retention.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Signed webhooks: room events and audited messages become rows of webhook_deliveries (the
 * outbox), which every node's sender claims and POSTs. Exports the audit log's outbox.
 */
@Module({
  imports: [RoomsModule],
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookDeliveries,
    WebhookSender,
    WebhookRetention,
    { provide: AuditOutbox, useClass: WebhookAuditOutbox },
  ],
  exports: [AuditOutbox],
})
export class WebhooksModule {}
