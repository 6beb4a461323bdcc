import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { AuditSigning } from '../src/chat/audit/audit-signing.js';
import { AuditRetention } from '../src/chat/audit/retention.js';
import { Admin } from './support/admin.js';
import { documentedHash, rewriteChain } from './support/audit-export.js';
import { startApp, TestApp, TRAFFIC_ENV } from './support/app.js';
import { useRooms } from './support/room.js';
import { sleep } from './support/sockets.js';

const SIGNING_KEY = 'test-audit-signing-key-0123456789abcdef';
const GENESIS = '0'.repeat(64);
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

interface Exported {
  id: string;
  roomId: string;
  seq: number;
  kind: string;
  from: { participantId: string; displayName: string };
  to: { participantId: string; displayName: string } | null;
  text: string;
  clientMessageId: string;
  sentAt: string;
  prevHash: string;
  hash: string;
  hashVersion: number;
}

/** The Python checker exactly as README shows it. */
async function readmeChecker(): Promise<string> {
  const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Checking an export offline.**'));
  const match = /```python\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'README has no Python checker');
  return match[1];
}

/** Runs README's checker over an NDJSON export; resolves to its exit code. */
async function runReadmeChecker(ndjson: string): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'convene-checker-'));
  try {
    await writeFile(join(dir, 'messages.ndjson'), ndjson, 'utf8');
    await writeFile(join(dir, 'check.py'), await readmeChecker(), 'utf8');
    await promisify(execFile)('python3', ['check.py'], { cwd: dir });
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('audit integrity: append-only tables, hash versions, signed heads', () => {
  let t: TestApp;
  let admin: Admin;

  before(async () => {
    t = await startApp({
      ...TRAFFIC_ENV,
      CONVENE_AUDIT_SIGNING_KEY: SIGNING_KEY,
    });
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  /** A room with one joined participant who says `texts`, in order. */
  async function roomWith(texts: string[]) {
    const room = await rooms.create({ name: 'Integrity' });
    const ann = await room.join('Ann');
    for (const text of texts) await ann.say(text);
    return { roomId: room.id, say: (text: string) => ann.say(text) };
  }
  const verify = async (roomId: string) =>
    (await admin.get(`/api/v1/rooms/${roomId}/messages/verify`).expect(200)).body as {
      valid: boolean;
      count: number;
      firstBrokenSeq?: number;
      headSeq: number;
      headHash: string;
      signature: string;
    };
  const exportText = async (roomId: string) =>
    (await admin.get(`/api/v1/audit/messages/export?roomId=${roomId}&format=ndjson`).expect(200))
      .text;
  const exported = async (roomId: string) =>
    (await exportText(roomId))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Exported);
  const texts = async (roomId: string) =>
    (
      await t.db.query<{ text: string }>(
        `SELECT text FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
        [roomId],
      )
    ).map((r) => r.text);

  it('PostgreSQL refuses UPDATE, DELETE and TRUNCATE of audit rows through an ordinary connection', async () => {
    const { roomId, say } = await roomWith(['one', 'two']);
    const refused = { code: '42501' };
    await assert.rejects(
      t.db.query(`UPDATE chat_messages SET text = 'edited' WHERE room_id = $1`, [roomId]),
      refused,
    );
    await assert.rejects(
      t.db.query(`DELETE FROM chat_messages WHERE room_id = $1 AND seq = 2`, [roomId]),
      refused,
    );
    await assert.rejects(t.db.query(`TRUNCATE chat_messages CASCADE`), refused);
    assert.deepEqual(await texts(roomId), ['one', 'two']);

    // Checkpoints are the purge's; heads only move forward and are never deleted.
    await assert.rejects(
      t.db.query(
        `INSERT INTO chat_checkpoints (room_id, seq, hash, purged_count) VALUES ($1, 2, $2, 2)`,
        [roomId, GENESIS],
      ),
      refused,
    );
    await assert.rejects(
      t.db.query(`UPDATE chat_chain_heads SET last_seq = 1 WHERE room_id = $1`, [roomId]),
      refused,
    );
    await assert.rejects(
      t.db.query(`UPDATE chat_chain_heads SET last_hash = $2 WHERE room_id = $1`, [
        roomId,
        GENESIS,
      ]),
      refused,
    );
    await assert.rejects(
      t.db.query(`DELETE FROM chat_chain_heads WHERE room_id = $1`, [roomId]),
      refused,
    );

    // Appending still works, and the chain is intact and signed.
    await say('three');
    assert.deepEqual(await texts(roomId), ['one', 'two', 'three']);
    const result = await verify(roomId);
    assert.equal(result.valid, true);
    assert.equal(result.count, 3);
    assert.equal(result.signature, 'valid');
  });

  it('a change of created_at by one microsecond is detected: version 2 hashes the stored time', async () => {
    const { roomId } = await roomWith(['a', 'b', 'c']);
    const lines = await exported(roomId);
    assert.ok(lines.every((m) => m.hashVersion === 2));
    assert.ok(lines.every((m) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(m.sentAt)));
    assert.ok(lines.every((m) => documentedHash(m) === m.hash));
    assert.equal((await verify(roomId)).valid, true);

    await t.db.tamper(
      `UPDATE chat_messages SET created_at = created_at + interval '1 microsecond' WHERE room_id = $1 AND seq = 2`,
      [roomId],
    );
    const result = await verify(roomId);
    assert.equal(result.valid, false);
    assert.equal(result.firstBrokenSeq, 2);
  });

  it("rows written before version 2 (hash version 1, milliseconds) still verify, the chain goes on in version 2, and README's checker accepts both", async () => {
    const roomId = await admin.createRoom({ name: 'Old rows' });
    const sender = randomUUID();
    // As the previous version wrote them: a JavaScript Date's milliseconds, hash form 1.
    let prev = GENESIS;
    for (const [i, text] of ['from', 'before'].entries()) {
      const row = {
        id: randomUUID(),
        seq: i + 1,
        clientMessageId: randomUUID(),
        sentAt: new Date(Date.now() - 60_000 + i).toISOString(),
      };
      const hash = sha256(
        JSON.stringify([
          prev,
          row.id,
          roomId,
          row.seq,
          'public',
          sender,
          'Old',
          null,
          null,
          text,
          row.clientMessageId,
          row.sentAt,
        ]),
      );
      await t.db.query(
        `INSERT INTO chat_messages (id, room_id, seq, kind, sender_id, sender_name, text,
           client_message_id, created_at, prev_hash, hash, hash_version)
         VALUES ($1, $2, $3, 'public', $4, 'Old', $5, $6, $7, $8, $9, 1)`,
        [row.id, roomId, row.seq, sender, text, row.clientMessageId, row.sentAt, prev, hash],
      );
      prev = hash;
    }
    await t.db.query(
      `INSERT INTO chat_chain_heads (room_id, last_seq, last_hash) VALUES ($1, 2, $2)`,
      [roomId, prev],
    );

    // The chain verifies; its head has no signature yet, which with a key is not valid.
    const unsigned = await verify(roomId);
    assert.deepEqual(
      [unsigned.valid, unsigned.count, unsigned.firstBrokenSeq, unsigned.signature],
      [false, 2, undefined, 'absent'],
    );
    // The first start with the key signs such heads as they stand.
    await t.app.get(AuditSigning).onApplicationBootstrap();
    assert.deepEqual(await verify(roomId), {
      valid: true,
      count: 2,
      headSeq: 2,
      headHash: prev,
      signature: 'valid',
    });

    const newcomer = await rooms.room(roomId).join('New');
    for (const text of ['after', 'upgrade']) await newcomer.say(text);
    const result = await verify(roomId);
    assert.deepEqual([result.valid, result.count, result.signature], [true, 4, 'valid']);

    const ndjson = await exportText(roomId);
    const lines = ndjson
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Exported);
    assert.deepEqual(
      lines.map((m) => [m.text, m.hashVersion]),
      [
        ['from', 1],
        ['before', 1],
        ['after', 2],
        ['upgrade', 2],
      ],
    );
    assert.match(lines[0].sentAt, /\.\d{3}Z$/);
    assert.equal(lines[2].prevHash, lines[1].hash);
    assert.equal(await runReadmeChecker(ndjson), 0, "README's checker rejects a genuine export");
    for (const i of [1, 3]) {
      const forged = lines.map((m, j) => (j === i ? { ...m, text: `${m.text}!` } : m));
      const forgedText = forged.map((m) => JSON.stringify(m)).join('\n') + '\n';
      assert.notEqual(await runReadmeChecker(forgedText), 0, `checker misses an edit of row ${i}`);
    }
  });

  it('a full rewrite with recomputed hashes and head is reported invalid with a signing key, also after later messages', async () => {
    const { roomId, say } = await roomWith(['I agree', 'see you at 5', 'bye']);
    const original = await verify(roomId);
    assert.equal(original.signature, 'valid');

    // Someone who can write to the database, but does not hold the key, rewrites message 1 and
    // recomputes every later hash and the head.
    const link = await rewriteChain(t.db, roomId, await exported(roomId), { 1: 'I disagree' });

    const rewritten = await verify(roomId);
    assert.deepEqual(rewritten, {
      valid: false,
      count: 3,
      headSeq: 3,
      headHash: link,
      signature: 'invalid',
    });
    // A new message extends the chain but does not sign over the rewrite.
    await say('later');
    const later = await verify(roomId);
    assert.deepEqual([later.valid, later.count, later.signature], [false, 4, 'invalid']);
  });

  it('a removed head signature is reported absent and is not restored by the next message', async () => {
    const { roomId, say } = await roomWith(['x']);
    await t.db.tamper(`UPDATE chat_chain_heads SET signature = NULL WHERE room_id = $1`, [roomId]);
    const removed = await verify(roomId);
    assert.deepEqual([removed.valid, removed.signature], [false, 'absent']);
    await say('y');
    const later = await verify(roomId);
    assert.deepEqual([later.valid, later.count, later.signature], [false, 2, 'absent']);
  });

  it('the retention purge still deletes, under a signed checkpoint; a forged checkpoint is reported', async () => {
    const { roomId, say } = await roomWith(['old-0', 'old-1', 'old-2']);
    await sleep(20);
    const cutoff = new Date();
    await sleep(20);
    await say('new-0');

    // (Older rooms of this file are purged too.)
    assert.ok((await t.app.get(AuditRetention).purge(cutoff, 2)) >= 3);
    assert.deepEqual(await texts(roomId), ['new-0']);
    const purged = await verify(roomId);
    assert.deepEqual(
      [purged.valid, purged.count, purged.signature],
      [true, 1, 'valid'],
      JSON.stringify(purged),
    );

    // Moving the checkpoint (to hide rows deleted after it, say) needs the key too.
    await t.db.tamper(`DELETE FROM chat_messages WHERE room_id = $1`, [roomId]);
    const [head] = await t.db.query<{ last_hash: string }>(
      `SELECT last_hash FROM chat_chain_heads WHERE room_id = $1`,
      [roomId],
    );
    await t.db.tamper(`UPDATE chat_checkpoints SET seq = 4, hash = $2 WHERE room_id = $1`, [
      roomId,
      head.last_hash,
    ]);
    const forged = await verify(roomId);
    assert.deepEqual(
      [forged.valid, forged.count, forged.firstBrokenSeq, forged.signature],
      [false, 0, undefined, 'invalid'],
    );
  });
});
