import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuthAndRooms1764000000000 implements MigrationInterface {
  name = 'AuthAndRooms1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        prefix varchar(16) NOT NULL,
        secret_hash char(64) NOT NULL,
        scopes text[] NOT NULL,
        bootstrap boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT pk_api_keys PRIMARY KEY (id),
        CONSTRAINT uq_api_keys_prefix UNIQUE (prefix)
      )`);
    await q.query(`
      CREATE TABLE rooms (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'open',
        max_participants integer,
        lobby boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        CONSTRAINT pk_rooms PRIMARY KEY (id),
        CONSTRAINT ck_rooms_status CHECK (status IN ('open', 'closed')),
        CONSTRAINT ck_rooms_max_participants CHECK (max_participants IS NULL OR max_participants > 0)
      )`);
    await q.query(`CREATE INDEX ix_rooms_status_created_at ON rooms (status, created_at DESC, id)`);
    await q.query(`
      CREATE TABLE participants (
        id uuid NOT NULL,
        room_id uuid NOT NULL,
        display_name varchar(100) NOT NULL,
        role varchar(16) NOT NULL,
        admission varchar(16) NOT NULL DEFAULT 'admitted',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        CONSTRAINT pk_participants PRIMARY KEY (id),
        CONSTRAINT fk_participants_room FOREIGN KEY (room_id) REFERENCES rooms (id) ON DELETE RESTRICT,
        CONSTRAINT ck_participants_role CHECK (role IN ('host', 'participant', 'guest')),
        CONSTRAINT ck_participants_admission CHECK (admission IN ('admitted', 'pending', 'rejected'))
      )`);
    await q.query(`CREATE INDEX ix_participants_room_id ON participants (room_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE participants`);
    await q.query(`DROP TABLE rooms`);
    await q.query(`DROP TABLE api_keys`);
  }
}
