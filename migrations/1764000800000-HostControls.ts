import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Host controls that hold across reconnects and nodes: what a host muted hard (the participant
 * cannot unmute it), the kinds a host asked them to unmute, and when they raised their hand.
 * The kinds are the protocol's MEDIA_KINDS, spelled out here (migrations are history).
 */
export class HostControls1764000800000 implements MigrationInterface {
  name = 'HostControls1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE participants
        ADD COLUMN muted_by_host varchar(8)[] NOT NULL DEFAULT '{}',
        ADD COLUMN unmute_asked varchar(8)[] NOT NULL DEFAULT '{}',
        ADD COLUMN hand_raised_at timestamptz,
        ADD CONSTRAINT ck_participants_muted_by_host
          CHECK (muted_by_host <@ ARRAY['audio', 'video']::varchar[]),
        ADD CONSTRAINT ck_participants_unmute_asked
          CHECK (unmute_asked <@ ARRAY['audio', 'video']::varchar[])`);
    // A room's joins read who has a hand up or a hard mute: only those rows.
    await q.query(`
      CREATE INDEX ix_participants_room_controls ON participants (room_id)
        WHERE hand_raised_at IS NOT NULL OR muted_by_host <> '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ix_participants_room_controls`);
    await q.query(`
      ALTER TABLE participants
        DROP CONSTRAINT ck_participants_unmute_asked,
        DROP CONSTRAINT ck_participants_muted_by_host,
        DROP COLUMN hand_raised_at,
        DROP COLUMN unmute_asked,
        DROP COLUMN muted_by_host`);
  }
}
