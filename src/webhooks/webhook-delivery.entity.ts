import { Check, Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { inList } from '../database/sql-check.js';
import { WEBHOOK_EVENTS, type WebhookEnvelope, type WebhookEventType } from './webhook-events.js';

/** The CHECK of migration WebhookDeliveries spells this list out (migrations are history). */
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event for one endpoint: enqueued pending, claimed by one node at a time (SKIP LOCKED and a
 * lease on next_attempt_at), then delivered, or failed after its last attempt.
 */
@Entity({ name: 'webhook_deliveries' })
@Unique('uq_webhook_deliveries_event_url', ['eventId', 'url'])
@Index('ix_webhook_deliveries_due', ['nextAttemptAt'], { where: `state = 'pending'` })
@Index('ix_webhook_deliveries_state_id', ['state', 'id'])
@Index('ix_webhook_deliveries_event_type_id', ['eventType', 'id'])
@Check('ck_webhook_deliveries_state', inList('state', DELIVERY_STATES))
@Check('ck_webhook_deliveries_event_type', inList('event_type', WEBHOOK_EVENTS))
export class WebhookDeliveryEntity {
  /** Ascending in enqueue order: the admin list pages on it. bigint arrives as a string. */
  @PrimaryGeneratedColumn('identity', {
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    primaryKeyConstraintName: 'pk_webhook_deliveries',
  })
  id!: string;

  /** The event's id, the same for every endpoint and every attempt (Convene-Webhook-Id). */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 40 })
  eventType!: WebhookEventType;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  /** The body POSTed, as an object (serialized the same way at every attempt). */
  @Column({ type: 'jsonb' })
  payload!: WebhookEnvelope;

  @Column({ type: 'varchar', length: 16 })
  state!: DeliveryState;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** When a pending row is due; while a node holds it, the end of that node's lease. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  /** The HTTP status of the last attempt; null when none answered (refused, timed out). */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;
}
