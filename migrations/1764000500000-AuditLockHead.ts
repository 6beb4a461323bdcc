import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One round trip where an audit append took three: create the room's chain head if missing and
 * lock it, then, in a statement of its own (so with a snapshot taken after the lock, which sees
 * what the previous holder committed), the rows already stored for the batch's retries.
 */
export class AuditLockHead1764000500000 implements MigrationInterface {
  name = 'AuditLockHead1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION convene_audit_lock_head(p_room uuid, p_genesis char(64), p_senders uuid[], p_client_ids uuid[])
      RETURNS TABLE (head_seq bigint, head_hash char(64), head_signature char(64), head_now text, retries json)
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        -- The no-op update takes the row lock as FOR UPDATE would and returns the latest committed head.
        INSERT INTO chat_chain_heads AS h (room_id, last_seq, last_hash) VALUES (p_room, 0, p_genesis)
        ON CONFLICT (room_id) DO UPDATE SET last_seq = h.last_seq
        RETURNING h.last_seq, h.last_hash, h.signature,
          to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        INTO head_seq, head_hash, head_signature, head_now;
        SELECT coalesce(json_agg(r), '[]'::json) INTO retries FROM (
          SELECT m.*, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us
          FROM chat_messages m
          WHERE m.sender_id = ANY(p_senders) AND m.client_message_id = ANY(p_client_ids)) r;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION convene_audit_lock_head(uuid, char(64), uuid[], uuid[])`);
  }
}
