import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { AuditLog } from '../src/chat/audit/audit-log.js';
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
    audit = new AuditLog(store, new Metrics(), new AuditSigning(chatConfig(), store));
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
});
