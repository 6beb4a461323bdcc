import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail becomes append-only in PostgreSQL, not only by convention: chat_messages
 * refuses UPDATE and TRUNCATE, and DELETE except inside a transaction that set
 * `convene.audit_purge` (the retention purge); checkpoints are written only there too; chain
 * heads may only move forward. Rows gain the version of their hash form; heads and checkpoints
 * a signature (CONVENE_AUDIT_SIGNING_KEY). A superuser can still disable triggers: this stops
 * mistakes and code paths other than the purge, the signature is what catches a rewrite.
 */
export class AuditAppendOnly1764000200000 implements MigrationInterface {
  name = 'AuditAppendOnly1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE chat_messages ADD COLUMN hash_version smallint NOT NULL DEFAULT 1,
         ADD CONSTRAINT ck_chat_messages_hash_version CHECK (hash_version IN (1, 2))`,
    );
    await q.query(`ALTER TABLE chat_chain_heads ADD COLUMN signature char(64)`);
    await q.query(`ALTER TABLE chat_checkpoints ADD COLUMN signature char(64)`);

    await q.query(`
      CREATE FUNCTION convene_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('DELETE', 'INSERT', 'UPDATE') AND TG_ARGV[0] = 'purge-only'
           AND current_setting('convene.audit_purge', true) = 'on' THEN
          RETURN NULL;
        END IF;
        RAISE EXCEPTION 'convene: % on % is refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Only the retention purge removes audit rows (CONVENE_CHAT_RETENTION_DAYS).';
      END $$`);
    await q.query(`
      CREATE FUNCTION convene_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.room_id <> OLD.room_id OR NEW.last_seq < OLD.last_seq
           OR (NEW.last_seq = OLD.last_seq AND NEW.last_hash <> OLD.last_hash) THEN
          RAISE EXCEPTION 'convene: a chat chain head only moves forward (room %, seq % to %)',
            OLD.room_id, OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);

    // Statement triggers: one check per statement, before any row is touched.
    await q.query(`CREATE TRIGGER tr_chat_messages_no_update BEFORE UPDATE OR TRUNCATE ON chat_messages
      FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_refuse('never')`);
    await q.query(`CREATE TRIGGER tr_chat_messages_purge_only BEFORE DELETE ON chat_messages
      FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_refuse('purge-only')`);
    await q.query(`CREATE TRIGGER tr_chat_checkpoints_purge_only BEFORE INSERT OR UPDATE OR DELETE ON chat_checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_refuse('purge-only')`);
    await q.query(`CREATE TRIGGER tr_chat_checkpoints_no_truncate BEFORE TRUNCATE ON chat_checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_refuse('never')`);
    await q.query(`CREATE TRIGGER tr_chat_chain_heads_no_delete BEFORE DELETE OR TRUNCATE ON chat_chain_heads
      FOR EACH STATEMENT EXECUTE FUNCTION convene_audit_refuse('never')`);
    await q.query(`CREATE TRIGGER tr_chat_chain_heads_forward BEFORE UPDATE ON chat_chain_heads
      FOR EACH ROW EXECUTE FUNCTION convene_audit_head_forward()`);
  }

  /** Rows written with hash version 2 no longer verify under the previous code after this. */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tr_chat_chain_heads_forward ON chat_chain_heads`);
    await q.query(`DROP TRIGGER tr_chat_chain_heads_no_delete ON chat_chain_heads`);
    await q.query(`DROP TRIGGER tr_chat_checkpoints_no_truncate ON chat_checkpoints`);
    await q.query(`DROP TRIGGER tr_chat_checkpoints_purge_only ON chat_checkpoints`);
    await q.query(`DROP TRIGGER tr_chat_messages_purge_only ON chat_messages`);
    await q.query(`DROP TRIGGER tr_chat_messages_no_update ON chat_messages`);
    await q.query(`DROP FUNCTION convene_audit_head_forward()`);
    await q.query(`DROP FUNCTION convene_audit_refuse()`);
    await q.query(`ALTER TABLE chat_checkpoints DROP COLUMN signature`);
    await q.query(`ALTER TABLE chat_chain_heads DROP COLUMN signature`);
    await q.query(
      `ALTER TABLE chat_messages DROP CONSTRAINT ck_chat_messages_hash_version, DROP COLUMN hash_version`,
    );
  }
}
