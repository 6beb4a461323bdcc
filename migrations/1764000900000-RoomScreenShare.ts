import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may share their screen in a room: everyone (the default, as before) or only hosts. The
 * values are the protocol's SCREEN_SHARE_POLICIES, spelled out here (migrations are history).
 */
export class RoomScreenShare1764000900000 implements MigrationInterface {
  name = 'RoomScreenShare1764000900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE rooms
        ADD COLUMN screen_share varchar(16) NOT NULL DEFAULT 'everyone',
        ADD CONSTRAINT ck_rooms_screen_share CHECK (screen_share IN ('everyone', 'hosts'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE rooms
        DROP CONSTRAINT ck_rooms_screen_share,
        DROP COLUMN screen_share`);
  }
}
