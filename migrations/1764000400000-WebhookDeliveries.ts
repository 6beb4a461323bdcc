import { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhook outbox: one row per (event, endpoint), with its delivery state. */
export class WebhookDeliveries1764000400000 implements MigrationInterface {
  name = 'WebhookDeliveries1764000400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
        event_id uuid NOT NULL,
        event_type varchar(40) NOT NULL,
        url varchar(2048) NOT NULL,
        payload jsonb NOT NULL,
        state varchar(16) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        last_status integer,
        last_error varchar(500),
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
        CONSTRAINT uq_webhook_deliveries_event_url UNIQUE (event_id, url),
        CONSTRAINT ck_webhook_deliveries_state CHECK (state IN ('pending', 'delivered', 'failed')),
        CONSTRAINT ck_webhook_deliveries_event_type CHECK (event_type IN ('room.created', 'room.closed', 'participant.joined', 'participant.left', 'chat.message_audited'))
      )`);
    await q.query(
      `CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`,
    );
    await q.query(`CREATE INDEX ix_webhook_deliveries_state_id ON webhook_deliveries (state, id)`);
    await q.query(
      `CREATE INDEX ix_webhook_deliveries_event_type_id ON webhook_deliveries (event_type, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
  }
}
