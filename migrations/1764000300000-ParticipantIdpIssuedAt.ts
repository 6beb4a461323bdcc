import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the IdP issued the token whose role and display name a participant has now, so that an
 * older token (still unexpired) cannot undo a newer one: a demotion at the IdP holds.
 */
export class ParticipantIdpIssuedAt1764000300000 implements MigrationInterface {
  name = 'ParticipantIdpIssuedAt1764000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE participants ADD COLUMN idp_issued_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE participants DROP COLUMN idp_issued_at`);
  }
}
