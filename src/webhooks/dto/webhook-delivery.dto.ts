import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { DELIVERY_STATES, type DeliveryState } from '../webhook-delivery.entity.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../webhook-events.js';

export class ListDeliveriesQueryDto {
  /** Only deliveries in this state; every state when absent. */
  @IsOptional()
  @IsIn(DELIVERY_STATES)
  state?: DeliveryState;

  /** Only deliveries of this event type. */
  @IsOptional()
  @IsIn(WEBHOOK_EVENTS)
  event?: WebhookEventType;

  /** `nextCursor` from the previous page. */
  @ApiProperty({ type: 'integer', required: false })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  cursor?: number;

  /** Page size, 1..500 (default 100). */
  @ApiProperty({ type: 'integer', required: false })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

/** One event for one endpoint, and how its delivery went. */
export class WebhookDeliveryDto {
  @ApiProperty({ type: 'integer' })
  id!: number;
  /** The event's id (the Convene-Webhook-Id header), the same for every endpoint and attempt. */
  eventId!: string;
  @ApiProperty({ enum: WEBHOOK_EVENTS })
  event!: WebhookEventType;
  url!: string;
  /** `pending` (to be attempted, or being attempted), `delivered`, or `failed` (no attempt left). */
  @ApiProperty({ enum: DELIVERY_STATES })
  state!: DeliveryState;
  /** Attempts made (since the last retry from this API). */
  @ApiProperty({ type: 'integer' })
  attempts!: number;
  /** When the next attempt is due; null unless pending. */
  nextAttemptAt!: string | null;
  lastAttemptAt!: string | null;
  /** The HTTP status of the last attempt; null when none answered. */
  @ApiProperty({ type: 'integer', nullable: true })
  lastStatus!: number | null;
  /** Why the last attempt failed; null once delivered. */
  lastError!: string | null;
  createdAt!: string;
  deliveredAt!: string | null;
  /** The JSON body POSTed: `{ id, type, createdAt, data }` (README, "Webhooks"). */
  @ApiProperty({ type: 'object', additionalProperties: true })
  payload!: Record<string, unknown>;
}

export class WebhookDeliveryPageDto {
  items!: WebhookDeliveryDto[];
  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ type: 'integer', nullable: true })
  nextCursor!: number | null;
}
