import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An audit append in one statement (so one round trip and its own transaction) for a writer that
 * already knows the room's head: it locks the head and appends the batch, linked and signed by
 * the caller, only if the head (seq, hash, signature) is still the one the batch was linked to, none of its messages is
 * stored yet, and its time is plausible (not before the head row's, within a second of the
 * database's clock). Otherwise it appends nothing and returns what convene_audit_lock_head
 * returns (the head, the database's time, the stored retries), for the caller to link again.
 * The database still decides: a stale guess costs a round trip, never a fork.
 * convene_audit_lock_head (the locked path) is changed to match: its time is never before the
 * head row's either.
 */
export class AuditAppendExpected1764000600000 implements MigrationInterface {
  name = 'AuditAppendExpected1764000600000';

  async up(q: QueryRunner): Promise<void> {
    // The locked path's time, too, never goes back along a chain.
    await q.query(`
      CREATE OR REPLACE FUNCTION convene_audit_lock_head(p_room uuid, p_genesis char(64), p_senders uuid[], p_client_ids uuid[])
      RETURNS TABLE (head_seq bigint, head_hash char(64), head_signature char(64), head_now text, retries json)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_last_at timestamptz;
      BEGIN
        -- The no-op update takes the row lock as FOR UPDATE would and returns the latest committed head.
        INSERT INTO chat_chain_heads AS h (room_id, last_seq, last_hash) VALUES (p_room, 0, p_genesis)
        ON CONFLICT (room_id) DO UPDATE SET last_seq = h.last_seq
        RETURNING h.last_seq, h.last_hash, h.signature INTO head_seq, head_hash, head_signature;
        -- Never before the head row's time (which a node's clock may have set slightly ahead).
        SELECT m.created_at INTO v_last_at FROM chat_messages m
        WHERE m.room_id = p_room AND m.seq = head_seq;
        head_now := to_char(greatest(clock_timestamp(), v_last_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
        SELECT coalesce(json_agg(r), '[]'::json) INTO retries FROM (
          SELECT m.*, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us
          FROM chat_messages m
          WHERE m.sender_id = ANY(p_senders) AND m.client_message_id = ANY(p_client_ids)) r;
        RETURN NEXT;
      END $$`);
    await q.query(`
      CREATE FUNCTION convene_audit_append_expected(
        p_room uuid, p_seq bigint, p_hash char(64), p_head_signature char(64), p_at text,
        p_new_hash char(64), p_signature char(64), p_hash_version smallint,
        p_ids uuid[], p_kinds text[], p_senders uuid[], p_sender_names text[],
        p_recipients uuid[], p_recipient_names text[], p_texts text[], p_client_ids uuid[],
        p_prev_hashes text[], p_hashes text[])
      RETURNS TABLE (appended boolean, head_seq bigint, head_hash char(64),
        head_signature char(64), head_now text, retries json)
      LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        v_at timestamptz := p_at::timestamptz;
        v_now timestamptz;
        v_last_at timestamptz;
      BEGIN
        appended := false;
        SELECT h.last_seq, h.last_hash, h.signature INTO head_seq, head_hash, head_signature
        FROM chat_chain_heads h WHERE h.room_id = p_room FOR UPDATE;
        v_now := clock_timestamp();
        head_now := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
        -- Statements of their own: their snapshot is taken after the lock.
        SELECT coalesce(json_agg(r), '[]'::json) INTO retries FROM (
          SELECT m.*, to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us
          FROM chat_messages m
          WHERE (m.sender_id, m.client_message_id) IN (SELECT * FROM unnest(p_senders, p_client_ids))) r;
        IF head_seq IS NULL OR head_seq <> p_seq OR head_hash <> p_hash
           OR head_signature IS DISTINCT FROM p_head_signature
           OR json_array_length(retries) > 0
           OR v_at < v_now - interval '1 second' OR v_at > v_now + interval '1 second' THEN
          RETURN NEXT;
          RETURN;
        END IF;
        SELECT m.created_at INTO v_last_at FROM chat_messages m
        WHERE m.room_id = p_room AND m.seq = p_seq;
        IF v_last_at IS NOT NULL AND v_at < v_last_at THEN
          RETURN NEXT;
          RETURN;
        END IF;
        INSERT INTO chat_messages (id, room_id, seq, kind, sender_id, sender_name, recipient_id,
          recipient_name, text, client_message_id, created_at, prev_hash, hash, hash_version)
        SELECT b.id, p_room, p_seq + b.n, b.kind, b.sender, b.sender_name, b.recipient,
          b.recipient_name, b.text, b.client_id, v_at, b.prev_hash, b.hash, p_hash_version
        FROM unnest(p_ids, p_kinds, p_senders, p_sender_names, p_recipients, p_recipient_names,
          p_texts, p_client_ids, p_prev_hashes, p_hashes)
          WITH ORDINALITY AS b(id, kind, sender, sender_name, recipient, recipient_name, text,
            client_id, prev_hash, hash, n);
        UPDATE chat_chain_heads SET last_seq = p_seq + cardinality(p_ids), last_hash = p_new_hash,
          signature = p_signature, updated_at = now()
        WHERE room_id = p_room;
        appended := true;
        head_seq := p_seq + cardinality(p_ids);
        head_hash := p_new_hash;
        head_signature := p_signature;
        head_now := p_at;
        RETURN NEXT;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION convene_audit_lock_head(p_room uuid, p_genesis char(64), p_senders uuid[], p_client_ids uuid[])
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
    await q.query(`DROP FUNCTION convene_audit_append_expected(uuid, bigint, char(64), char(64), text,
      char(64), char(64), smallint, uuid[], text[], uuid[], text[], uuid[], text[], text[], uuid[],
      text[], text[])`);
  }
}
