import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { DeliveryState } from './webhook-delivery.entity.js';
import type { WebhookEnvelope, WebhookEventType } from './webhook-events.js';

/** A delivery row as the sender and the admin API see it. */
export interface WebhookDelivery {
  id: number;
  eventId: string;
  eventType: WebhookEventType;
  url: string;
  payload: WebhookEnvelope;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface DeliveryFilter {
  state?: DeliveryState;
  eventType?: WebhookEventType;
  /** Rows with a smaller id (newest first). */
  beforeId?: number;
  limit: number;
}

/** What one attempt came to, recorded only if the attempt still holds its claim. */
export type AttemptOutcome =
  | { delivered: true; status: number }
  | { delivered: false; status: number | null; error: string; retryInMs: number | null };

interface Row {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  url: string;
  payload: WebhookEnvelope;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const toDelivery = (r: Row): WebhookDelivery => ({
  id: Number(r.id),
  eventId: r.event_id,
  eventType: r.event_type,
  url: r.url,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
});

/** `$n` milliseconds from the database's clock: every node schedules on the same clock. */
const fromNow = (param: string) =>
  `now() + (${param}::double precision * interval '1 millisecond')`;

/** All SQL of webhook_deliveries. */
@Injectable()
export class WebhookDeliveries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One INSERT for all of them, one row per event and URL, due now; an (event, URL) enqueued
   * before is left as it is. With `tx`, inside the caller's transaction (it commits or rolls back
   * with it). The events travel as one JSON array (no per-row array escaping).
   */
  async enqueue(events: WebhookEnvelope[], urls: string[], tx?: EntityManager): Promise<void> {
    if (events.length === 0 || urls.length === 0) return;
    await (tx ?? this.dataSource.manager).query(
      `INSERT INTO webhook_deliveries (event_id, event_type, url, payload, state, next_attempt_at, created_at)
       SELECT (e.payload->>'id')::uuid, e.payload->>'type', u.url, e.payload, 'pending', now(), now()
       FROM jsonb_array_elements($1::jsonb) AS e(payload) CROSS JOIN unnest($2::varchar[]) AS u(url)
       ON CONFLICT (event_id, url) DO NOTHING`,
      [JSON.stringify(events), urls],
    );
  }

  /**
   * Claims up to `limit` due rows for this node, none for the URLs in `skipUrls`: counts the
   * attempt and moves next_attempt_at to the end of a lease, in one statement. Rows another node
   * is claiming are skipped (SKIP LOCKED), and a claimed row is not due again until its lease
   * ends, so one attempt is made by one node; a node that dies mid-attempt leaves the row to be
   * retried after the lease.
   */
  async claimDue(
    limit: number,
    leaseMs: number,
    skipUrls: string[] = [],
  ): Promise<WebhookDelivery[]> {
    // TypeORM answers an UPDATE with [rows, count].
    const [rows] = await this.dataSource.query<[Row[], number]>(
      `UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = ${fromNow('$2')}
       WHERE d.id IN (
         SELECT id FROM webhook_deliveries
         WHERE state = 'pending' AND next_attempt_at <= now() AND url <> ALL($3::varchar[])
         ORDER BY next_attempt_at, id
         LIMIT $1
         FOR UPDATE SKIP LOCKED)
       RETURNING d.*`,
      [limit, leaseMs, skipUrls],
    );
    return rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  /** Milliseconds until the earliest pending row is due (0 if one is); undefined when none is pending. */
  async nextDueInMs(): Promise<number | undefined> {
    const [row] = await this.dataSource.query<{ ms: number | null }[]>(
      `SELECT greatest(0, extract(epoch FROM min(next_attempt_at) - now()) * 1000)::float8 AS ms
       FROM webhook_deliveries WHERE state = 'pending'`,
    );
    return row?.ms ?? undefined;
  }

  /**
   * Records attempt number `attempt` of row `id`; does nothing when the row has moved on (its
   * lease ran out and another node claimed it, or it was retried from the admin API).
   */
  async record(id: number, attempt: number, outcome: AttemptOutcome): Promise<void> {
    if (outcome.delivered) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries
         SET state = 'delivered', delivered_at = now(), last_status = $3, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
        [id, attempt, outcome.status],
      );
      return;
    }
    await this.dataSource.query(
      `UPDATE webhook_deliveries
       SET state = CASE WHEN $5::double precision IS NULL THEN 'failed' ELSE 'pending' END,
           next_attempt_at = CASE WHEN $5::double precision IS NULL THEN next_attempt_at ELSE ${fromNow('$5')} END,
           last_status = $3, last_error = $4
       WHERE id = $1 AND attempts = $2 AND state = 'pending'`,
      [id, attempt, outcome.status, outcome.error.slice(0, 500), outcome.retryInMs],
    );
  }

  /** Newest first. */
  async page(f: DeliveryFilter): Promise<WebhookDelivery[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (f.state) where.push(`state = $${params.push(f.state)}`);
    if (f.eventType) where.push(`event_type = $${params.push(f.eventType)}`);
    if (f.beforeId !== undefined) where.push(`id < $${params.push(f.beforeId)}`);
    const rows = await this.dataSource.query<Row[]>(
      `SELECT * FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.push(f.limit)}`,
      params,
    );
    return rows.map(toDelivery);
  }

  async get(id: number): Promise<WebhookDelivery | undefined> {
    const [row] = await this.dataSource.query<Row[]>(
      `SELECT * FROM webhook_deliveries WHERE id = $1`,
      [id],
    );
    return row ? toDelivery(row) : undefined;
  }

  /** Deletes at most `limit` delivered or failed rows enqueued before `cutoff`; returns how many. */
  async purgeFinished(cutoff: Date, limit: number): Promise<number> {
    const [, deleted] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE state <> 'pending' AND created_at < $1 ORDER BY id LIMIT $2)`,
      [cutoff, limit],
    );
    return deleted;
  }

  /** A failed row back to pending, due now, with a fresh count of attempts; undefined if it was not failed. */
  async retryFailed(id: number): Promise<WebhookDelivery | undefined> {
    const [[row]] = await this.dataSource.query<[Row[], number]>(
      `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now()
       WHERE id = $1 AND state = 'failed' RETURNING *`,
      [id],
    );
    return row ? toDelivery(row) : undefined;
  }
}
