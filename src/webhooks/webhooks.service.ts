import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/domain-error.js';
import { type WebhooksConfig, webhooksConfig } from '../config/configuration.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { RoomEvents } from '../rooms/room-events.js';
import type {
  ListDeliveriesQueryDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
} from './dto/webhook-delivery.dto.js';
import { WebhookDeliveries, type WebhookDelivery } from './webhook-deliveries.repository.js';
import type { WebhookEnvelope, WebhookEvent } from './webhook-events.js';
import { WebhookSender } from './webhook-sender.js';

export function toDeliveryDto(d: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: d.id,
    eventId: d.eventId,
    event: d.eventType,
    url: d.url,
    state: d.state,
    attempts: d.attempts,
    nextAttemptAt: d.state === 'pending' ? d.nextAttemptAt.toISOString() : null,
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    payload: d.payload as unknown as Record<string, unknown>,
  };
}

/**
 * Turns what happens in rooms and the audit log into webhook events, one delivery per configured
 * URL; and the admin view of deliveries. With no URL configured nothing is enqueued.
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  private readonly logger = new Logger('Webhooks');

  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly sender: WebhookSender,
    private readonly roomEvents: RoomEvents,
    @Inject(webhooksConfig.KEY) private readonly config: WebhooksConfig,
  ) {}

  get enabled(): boolean {
    return this.config.urls.length > 0;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    const on = this.roomEvents;
    on.on('room.created', (e) => this.publish({ type: 'room.created', data: { ...e } }));
    on.on('room.closed', ({ roomId }) => this.publish({ type: 'room.closed', data: { roomId } }));
    on.on('participant.joined', ({ roomId, participantId }) =>
      this.publish({ type: 'participant.joined', data: { roomId, participantId } }),
    );
    on.on('participant.left', ({ roomId, participantId, reason }) =>
      this.publish({ type: 'participant.left', data: { roomId, participantId, reason } }),
    );
  }

  /**
   * Enqueues the events in the caller's transaction (they commit with it); the caller calls
   * `wake` once it has committed.
   */
  enqueueIn(tx: EntityManager, events: WebhookEvent[]): Promise<void> {
    return this.deliveries.enqueue(this.envelopesOf(events), this.config.urls, tx);
  }

  wake(): void {
    this.sender.wake();
  }

  /**
   * Enqueues an event after what it reports has happened (room events are not transactional):
   * a crash in between loses it, and a failed insert is logged, never thrown at the caller.
   */
  private publish(event: WebhookEvent): void {
    this.deliveries.enqueue(this.envelopesOf([event]), this.config.urls).then(
      () => this.sender.wake(),
      (error: unknown) =>
        this.logger.error({ err: error, event: event.type }, 'webhook event not enqueued'),
    );
  }

  /** Each event with its id (one per event, shared by every URL) and time. */
  private envelopesOf(events: WebhookEvent[]): WebhookEnvelope[] {
    const createdAt = new Date().toISOString();
    return events.map((event) => ({
      id: randomUUID(),
      type: event.type,
      createdAt,
      data: event.data,
    }));
  }

  /** Newest first, filtered; keyset-paginated on the id. */
  async list(query: ListDeliveriesQueryDto): Promise<WebhookDeliveryPageDto> {
    const limit = query.limit ?? 100;
    const rows = await this.deliveries.page({
      state: query.state,
      eventType: query.event,
      beforeId: query.cursor,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map(toDeliveryDto),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }

  async get(id: number): Promise<WebhookDeliveryDto> {
    assertDeliveryId(id);
    const delivery = await this.deliveries.get(id);
    if (!delivery) throw notFound(id);
    return toDeliveryDto(delivery);
  }

  /** A failed delivery is attempted again, with a fresh count of attempts; others are refused. */
  async retry(id: number): Promise<WebhookDeliveryDto> {
    assertDeliveryId(id);
    const retried = await this.deliveries.retryFailed(id);
    if (!retried) {
      const delivery = await this.deliveries.get(id);
      if (!delivery) throw notFound(id);
      throw new DomainError(
        ErrorCode.WEBHOOK_DELIVERY_NOT_FAILED,
        `Delivery ${id} is ${delivery.state}; only a failed delivery can be retried`,
      );
    }
    this.sender.wake();
    return toDeliveryDto(retried);
  }
}

/** Ids are positive bigints that JSON carries exactly; any other number names no delivery. */
function assertDeliveryId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 1) throw notFound(id);
}

const notFound = (id: number) =>
  new DomainError(ErrorCode.WEBHOOK_DELIVERY_NOT_FOUND, `No webhook delivery ${id}`);
