import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Admin } from './support/admin.js';
import { insertChain } from './support/audit-chain.js';
import { startApp, TestApp } from './support/app.js';
import { sleep } from './support/sockets.js';

/**
 * An export whose reader is slower than the database query timeout, and reads spanning many
 * pages: each read is many short queries, not one statement that statement_timeout cancels part
 * way, as a protocol-level cursor was (PostgreSQL times its fetches together, from the first).
 */
describe('audit reads longer than the query timeout', () => {
  const QUERY_TIMEOUT_MS = 1000;
  // Room a spans several pages of a read, far more than the buffers between server and client
  // hold, so a paused reader holds the server's read; so does the export of both rooms.
  const ROWS = { a: 40_000, b: 7_000 };
  let t: TestApp;
  let admin: Admin;
  const rooms: { id: string; rows: number; head: string }[] = [];

  before(async () => {
    t = await startApp({ CONVENE_DB_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) });
    admin = new Admin(t.url);
    for (const rows of [ROWS.a, ROWS.b]) {
      const id = await admin.createRoom({ name: `long read ${rows}` });
      rooms.push({ id, rows, head: await insertChain(t.db.url, id, rows) });
    }
  });
  after(() => t.close());

  /** The export's text, its reader pausing `pauseMs` after the first chunk. */
  const exportText = async (query: string, pauseMs = 0) => {
    const res = await fetch(`${t.url}/api/v1/audit/messages/export?${query}`, {
      headers: { 'X-API-Key': admin.key },
    });
    assert.equal(res.status, 200);
    assert.ok(res.body);
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) {
      if (chunks.length === 0 && pauseMs > 0) await sleep(pauseMs);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  it("a room's export read slowly holds every row once, in order, up to the chain head", async () => {
    const [a] = rooms;
    const nd = await exportText(`roomId=${a.id}&format=ndjson`, 2.5 * QUERY_TIMEOUT_MS);
    const lines = nd
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    assert.equal(lines.length, a.rows);
    lines.forEach((l, i) => {
      assert.equal(l.seq, i + 1);
      if (i > 0) assert.equal(l.prevHash, lines[i - 1].hash);
    });
    assert.equal(lines[lines.length - 1].hash, a.head);
    const csv = (await exportText(`roomId=${a.id}&format=csv`)).trimEnd().split('\r\n');
    assert.equal(csv.length, a.rows + 1);
    assert.ok(csv[csv.length - 1].endsWith(`,${a.head},2`));
  });

  it('an export of every room holds each room whole, room after room', async () => {
    const lines = (await exportText('format=ndjson'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { roomId: string; seq: number });
    assert.equal(lines.length, ROWS.a + ROWS.b);
    const order = [...rooms].sort((x, y) => (x.id < y.id ? -1 : 1));
    let i = 0;
    for (const room of order)
      for (let seq = 1; seq <= room.rows; seq++, i++)
        assert.deepEqual([lines[i].roomId, lines[i].seq], [room.id, seq]);
  });

  it('verify checks the whole chain, across pages', async () => {
    for (const room of rooms) {
      const { body } = await admin.get(`/api/v1/rooms/${room.id}/messages/verify`).expect(200);
      assert.deepEqual(
        { valid: body.valid, count: body.count, headSeq: body.headSeq, headHash: body.headHash },
        { valid: true, count: room.rows, headSeq: room.rows, headHash: room.head },
      );
    }
  });
});
