import { MigrationInterface, QueryRunner } from 'typeorm';

export class ChatAudit1764000100000 implements MigrationInterface {
  name = 'ChatAudit1764000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE chat_messages (
        id uuid NOT NULL,
        room_id uuid NOT NULL,
        seq bigint NOT NULL,
        kind varchar(8) NOT NULL,
        sender_id uuid NOT NULL,
        sender_name varchar(100) NOT NULL,
        recipient_id uuid,
        recipient_name varchar(100),
        text text NOT NULL,
        client_message_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL,
        CONSTRAINT pk_chat_messages PRIMARY KEY (id),
        CONSTRAINT fk_chat_messages_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE RESTRICT,
        CONSTRAINT ck_chat_messages_kind CHECK (kind IN ('public', 'private')),
        CONSTRAINT ck_chat_messages_recipient CHECK ((kind = 'private') = (recipient_id IS NOT NULL)),
        CONSTRAINT uq_chat_messages_room_seq UNIQUE (room_id, seq),
        CONSTRAINT uq_chat_messages_sender_client_message UNIQUE (sender_id, client_message_id)
      )`);
    await q.query(
      `CREATE INDEX ix_chat_messages_room_sender_seq ON chat_messages (room_id, sender_id, seq)`,
    );
    await q.query(
      `CREATE INDEX ix_chat_messages_room_recipient_seq ON chat_messages (room_id, recipient_id, seq) WHERE recipient_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX ix_chat_messages_room_kind_seq ON chat_messages (room_id, kind, seq)`,
    );
    await q.query(`CREATE INDEX ix_chat_messages_created_at ON chat_messages (created_at)`);
    await q.query(`
      CREATE TABLE chat_chain_heads (
        room_id uuid NOT NULL,
        last_seq bigint NOT NULL,
        last_hash char(64) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_chat_chain_heads PRIMARY KEY (room_id),
        CONSTRAINT fk_chat_chain_heads_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE RESTRICT
      )`);
    await q.query(`
      CREATE TABLE chat_checkpoints (
        room_id uuid NOT NULL,
        seq bigint NOT NULL,
        hash char(64) NOT NULL,
        purged_count bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_chat_checkpoints PRIMARY KEY (room_id),
        CONSTRAINT fk_chat_checkpoints_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE RESTRICT
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE chat_checkpoints`);
    await q.query(`DROP TABLE chat_chain_heads`);
    await q.query(`DROP TABLE chat_messages`);
  }
}
