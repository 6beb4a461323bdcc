import { Module } from '@nestjs/common';
import { ConferenceModule } from '../conference/conference.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { AuditController } from './audit.controller.js';
import { AuditLog } from './audit/audit-log.js';
import { AuditQueries } from './audit/audit-queries.js';
import { AuditSigning } from './audit/audit-signing.js';
import { AuditStore } from './audit/audit.store.js';
import { PostgresAuditStore } from './audit/postgres-audit.store.js';
import { AuditRetention } from './audit/retention.js';
import { ChatDelivery } from './chat-delivery.js';
import { ChatGateway } from './chat.gateway.js';
import { ChatRateLimiter } from './chat-rate-limiter.js';
import { ChatService } from './chat.service.js';

/** Chat: gateway -> ChatService -> AuditLog (group commit) -> AuditStore -> delivery; plus the audit API. */
@Module({
  imports: [ConferenceModule, RoomsModule, WebhooksModule],
  controllers: [AuditController],
  providers: [
    ChatGateway,
    ChatService,
    ChatDelivery,
    ChatRateLimiter,
    AuditLog,
    AuditQueries,
    AuditRetention,
    AuditSigning,
    { provide: AuditStore, useClass: PostgresAuditStore },
  ],
})
export class ChatModule {}
