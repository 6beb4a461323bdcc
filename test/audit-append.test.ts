import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import pg from 'pg';
import { AuditLog } from '../src/chat/audit/audit-log.js';
import { AuditQueries } from '../src/chat/audit/audit-queries.js';
import { AuditSigning } from '../src/chat/audit/audit-signing.js';
import type { NewMessage } from '../src/chat/audit/hash-chain.js';
import { PostgresAuditStore } from '../src/chat/audit/postgres-audit.store.js';
import { chatConfig } from '../src/config/configuration.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { Metrics } from '../src/metrics/metrics.service.js';
import { TestDatabase } from './support/database.js';

describe('audit append through PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: PostgresAuditStore;
  let audit: AuditLog;

  before(async () => {
    db = await TestDatabase.create();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
    await ds.runMigrations();
    store = new PostgresAuditStore(ds);
    audit = new AuditLog(store, new Metrics(), new AuditSigning(chatConfig(), store), {
      queryTimeoutMs: 10_000,
    });
  });
  after(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const message = (roomId: string, senderId: string, text: string): NewMessage => ({
    roomId,
    kind: 'private',
    senderId,
    senderName: 'Ada',
    recipientId: randomUUID(),
    recipientName: 'Grace',
    text,
    clientMessageId: randomUUID(),
  });

  it('a retry committed in a later transaction returns the stored message exactly, and the chain goes on after it', async () => {
    const [{ id: roomId }] = await ds.query<{ id: string }[]>(
      `INSERT INTO rooms (name) VALUES ('append') RETURNING id`,
    );
    const sender = randomUUID();
    const first = message(roomId, sender, 'first ✓ with "quotes" and \\ backslash');
    const stored = await audit.append(first);
    assert.equal(stored.duplicate, false);
    // The retry's lookup runs under the head's lock, in the same round trip that takes it.
    const retry = await audit.append({ ...first });
    assert.equal(retry.duplicate, true);
    assert.deepEqual(retry.record, stored.record);
    assert.deepEqual(await store.findRetry(sender, first.clientMessageId), stored.record);

    const next = await audit.append(message(roomId, sender, 'second'));
    assert.equal(next.record.seq, 2);
    assert.equal(next.record.prevHash, stored.record.hash);
    const [head] = await ds.query<{ last_seq: string; last_hash: string }[]>(
      `SELECT last_seq, last_hash FROM chat_chain_heads WHERE room_id = $1`,
      [roomId],
    );
    assert.deepEqual([Number(head.last_seq), head.last_hash], [2, next.record.hash]);
  });

  const newRoom = async () => {
    const [{ id }] = await ds.query<{ id: string }[]>(
      `INSERT INTO rooms (name) VALUES ('append') RETURNING id`,
    );
    return id;
  };

  it('answers AUDIT_UNAVAILABLE within the deadline plus a second however long the database holds it; a message still queued then is never stored', async () => {
    // Regression (npm run reliability, PostgreSQL partitioned): refusals came after up to 9.9 s
    // with a 2 s deadline, messages waiting behind a hung batch and then for a new connection.
    const roomId = await newRoom();
    const sender = randomUUID();
    await audit.append(message(roomId, sender, 'the head exists'));
    const quick = new AuditLog(store, new Metrics(), new AuditSigning(chatConfig(), store), {
      queryTimeoutMs: 300,
    });
    // Another session holds the room's chain head: the batch waits on its lock.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM chat_chain_heads WHERE room_id = $1 FOR UPDATE', [roomId]);
      const inFlight = message(roomId, sender, 'in the held transaction');
      const queued = message(roomId, sender, 'queued behind it');
      const started = Date.now();
      const answers = await Promise.allSettled([quick.append(inFlight), quick.append(queued)]);
      const took = Date.now() - started;
      for (const answer of answers) {
        assert.equal(answer.status, 'rejected');
        assert.equal((answer.reason as { code?: string }).code, 'AUDIT_UNAVAILABLE');
      }
      assert.ok(took >= 1300 && took < 2500, `answered after ${took} ms (deadline 300 ms + 1 s)`);
      await holder.query('COMMIT');
      // The one in flight may commit once the lock is free (its outcome was unknown); the
      // queued one was dropped from the queue: never stored.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(await store.findRetry(sender, queued.clientMessageId), undefined);
    } finally {
      await holder.end();
    }
  });

  /** A second process's view of the same database: its own pool, store and group commit. */
  const otherNode = async (signingKey?: string) => {
    const other = new DataSource(dataSourceOptions(db.url));
    await other.initialize();
    const otherStore = new PostgresAuditStore(other);
    const config = { ...chatConfig(), auditSigningKey: signingKey };
    const signing = new AuditSigning(config, otherStore);
    return {
      audit: new AuditLog(otherStore, new Metrics(), signing, { queryTimeoutMs: 10_000 }),
      queries: new AuditQueries(otherStore, signing),
      store: otherStore,
      close: () => other.destroy(),
    };
  };

  /** How many queries reach PostgreSQL (through any pg client) while `fn` runs. */
  const countQueries = async (fn: () => Promise<unknown>) => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply, restored below
    const original = pg.Client.prototype.query;
    let count = 0;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      count += 1;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await fn();
    } finally {
      pg.Client.prototype.query = original;
    }
    return count;
  };

  it('once a process knows a room head, a batch is one statement (its own transaction), not a transaction of four', async () => {
    const roomId = await newRoom();
    const sender = randomUUID();
    // The first append takes the locked path (BEGIN, lock the head, insert, COMMIT).
    assert.equal(await countQueries(() => audit.append(message(roomId, sender, 'one'))), 4);
    assert.equal(await countQueries(() => audit.append(message(roomId, sender, 'two'))), 1);
    const batch = await countQueries(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => audit.append(message(roomId, sender, `b${i}`))),
      ),
    );
    assert.ok(batch <= 2, `20 concurrent appends took ${batch} statements`);
    const rows = await ds.query<{ seq: string }[]>(
      `SELECT seq FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
      [roomId],
    );
    assert.deepEqual(
      rows.map((r) => Number(r.seq)),
      Array.from({ length: 22 }, (_, i) => i + 1),
    );
    const node = await otherNode();
    try {
      const verified = await node.queries.verify(roomId);
      assert.equal(verified.valid, true, JSON.stringify(verified));
      assert.equal(verified.count, 22);
    } finally {
      await node.close();
    }
  });

  it('two processes appending to one room link to each other’s heads: the known head goes stale, the database says so, the chain stays linear', async () => {
    const roomId = await newRoom();
    const node = await otherNode();
    try {
      const sender = randomUUID();
      for (let round = 0; round < 5; round++) {
        await audit.append(message(roomId, sender, `here ${round}`));
        await node.audit.append(message(roomId, sender, `there ${round}`));
      }
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          (i % 2 ? audit : node.audit).append(message(roomId, sender, `both ${i}`)),
        ),
      );
      const verified = await node.queries.verify(roomId);
      assert.equal(verified.valid, true, JSON.stringify(verified));
      assert.equal(verified.count, 70);
    } finally {
      await node.close();
    }
  });

  it('a retry of a message another process stored is found on the fast path and returned, not stored twice', async () => {
    const roomId = await newRoom();
    const node = await otherNode();
    try {
      const sender = randomUUID();
      await audit.append(message(roomId, sender, 'warm up this process'));
      const first = message(roomId, sender, 'stored by the other process');
      const stored = await node.audit.append(first);
      const retry = await audit.append({ ...first });
      assert.equal(retry.duplicate, true);
      assert.deepEqual(retry.record, stored.record);
      const next = await audit.append(message(roomId, sender, 'after the retry'));
      assert.equal(next.record.seq, 3);
      assert.equal(next.record.prevHash, stored.record.hash);
    } finally {
      await node.close();
    }
  });

  it('a head whose signature was changed since this process last wrote it is not signed over (the known head is stale)', async () => {
    const key = 'test-audit-signing-key-append-0123456789';
    const roomId = await newRoom();
    const signed = await otherNode(key);
    try {
      const sender = randomUUID();
      await signed.audit.append(message(roomId, sender, 'one'));
      await signed.audit.append(message(roomId, sender, 'two'));
      assert.equal((await signed.queries.verify(roomId)).signature, 'valid');
      // Someone with database access rewrites the head's signature (same seq and hash): the
      // process's known head still carries the valid one, and must not vouch for the change.
      await ds.query(`UPDATE chat_chain_heads SET signature = $2 WHERE room_id = $1`, [
        roomId,
        'e'.repeat(64),
      ]);
      await signed.audit.append(message(roomId, sender, 'three'));
      const check = await signed.queries.verify(roomId);
      assert.equal(check.signature, 'invalid', JSON.stringify(check));
    } finally {
      await signed.close();
    }
  });

  it('the one-statement append refuses a stale head, a stored retry, and a time far from the database clock or before the head row', async () => {
    const roomId = await newRoom();
    const sender = randomUUID();
    const stored = await audit.append(message(roomId, sender, 'head'));
    const [{ now }] = await ds.query<{ now: string }[]>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS now`,
    );
    const call = (over: { seq?: number; hash?: string; at?: string; clientId?: string }) =>
      ds.query<{ appended: boolean; head_seq: string }[]>(
        `SELECT * FROM convene_audit_append_expected($1, $2, $3::char(64), NULL, $4, $5::char(64), NULL, 2::smallint,
           ARRAY[$6]::uuid[], ARRAY['public'], ARRAY[$7]::uuid[], ARRAY['Ada'], ARRAY[NULL]::uuid[],
           ARRAY[NULL], ARRAY['t'], ARRAY[$8]::uuid[], ARRAY[$3::text], ARRAY[$5::text])`,
        [
          roomId,
          over.seq ?? 1,
          over.hash ?? stored.record.hash,
          over.at ?? now,
          'f'.repeat(64),
          randomUUID(),
          sender,
          over.clientId ?? randomUUID(),
        ],
      );
    const later = (ms: number) => new Date(Date.parse(now) + ms).toISOString();
    const refusals = [
      await call({ seq: 0 }),
      await call({ clientId: stored.record.clientMessageId }),
      await call({ at: later(5_000) }),
      await call({ at: later(-5_000) }),
      await call({ at: new Date(Date.parse(stored.record.storedAt) - 1).toISOString() }),
    ];
    for (const [row] of refusals)
      assert.deepEqual([row.appended, Number(row.head_seq)], [false, 1]);
    const [accepted] = await call({});
    assert.deepEqual([accepted.appended, Number(accepted.head_seq)], [true, 2]);

    // A node whose clock runs 0.8 s ahead stamps the next row (accepted: within a second); a
    // process that knows no head takes the locked path, and its time does not go back before it.
    const [stamped] = await call({ seq: 2, hash: 'f'.repeat(64), at: later(800) });
    assert.deepEqual([stamped.appended, Number(stamped.head_seq)], [true, 3]);
    const fresh = await otherNode();
    try {
      const next = await fresh.audit.append(message(roomId, sender, 'locked path'));
      assert.equal(next.record.seq, 4);
      const [{ at }] = await ds.query<{ at: string }[]>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM chat_messages WHERE room_id = $1 AND seq = 3`,
        [roomId],
      );
      assert.ok(next.record.storedAt >= at, `${next.record.storedAt} is before ${at}`);
    } finally {
      await fresh.close();
    }
  });
});
