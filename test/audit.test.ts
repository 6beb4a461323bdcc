import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { RawMessageRow } from '../src/chat/audit/audit-record.mapper.js';
import { AuditRetention } from '../src/chat/audit/retention.js';
import { Admin } from './support/admin.js';
import { documentedHash, rewriteChain } from './support/audit-export.js';
import { startApp, TestApp, TRAFFIC_ENV } from './support/app.js';
import { type Person, useRooms } from './support/room.js';
import { sleep, TestClient } from './support/sockets.js';

/** Minimal RFC 4180 parser for checking exports (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

/** A chat_messages row as pg returns it, with `us`: created_at in UTC with microseconds. */
type Row = Omit<RawMessageRow, 'created_at_us'> & { us: string };

/** The time as the row's hash form covers it: milliseconds for version 1, microseconds for 2. */
const sentAt = (r: Row) => (r.hash_version === 1 ? r.created_at.toISOString() : r.us);

/** The NDJSON line a row must export as: every column, nothing else. */
const asNdjson = (r: Row) => ({
  id: r.id,
  roomId: r.room_id,
  seq: Number(r.seq),
  kind: r.kind,
  from: { participantId: r.sender_id, displayName: r.sender_name },
  to: r.recipient_id ? { participantId: r.recipient_id, displayName: r.recipient_name } : null,
  text: r.text,
  clientMessageId: r.client_message_id,
  sentAt: sentAt(r),
  prevHash: r.prev_hash,
  hash: r.hash,
  hashVersion: r.hash_version,
});

/** The CSV cells a row must export as, in header order. */
const asCsv = (r: Row) => [
  r.id,
  r.room_id,
  String(r.seq),
  r.kind,
  r.sender_id,
  r.sender_name,
  r.recipient_id ?? '',
  r.recipient_name ?? '',
  r.text,
  r.client_message_id,
  sentAt(r),
  r.prev_hash,
  r.hash,
  String(r.hash_version),
];

describe('audit API', () => {
  let t: TestApp;
  let admin: Admin;
  let auditor: string;
  let roomId: string;
  let a: TestClient;
  let bId: string;
  const rooms = useRooms(() => t);

  before(async () => {
    t = await startApp(TRAFFIC_ENV);
    admin = new Admin(t.url);
    auditor = (
      await admin
        .post('/api/v1/api-keys', { name: 'compliance', scopes: ['audit:read'] })
        .expect(201)
    ).body.key;
    const room = await rooms.create({ name: 'Audit room' });
    roomId = room.id;
    a = (await room.join('Alice')).client;
    const bob = await room.join('Bob "the builder", Jr.');
    bId = bob.participantId;
    const texts = [
      'plain',
      'with, comma',
      'with "quotes"',
      'multi\nline',
      'unicode ✓ ünïcödé',
      '=cmd|calc',
    ];
    for (const [i, text] of texts.entries()) {
      const ack = await a.request(
        'chat:send',
        i % 2
          ? { kind: 'private', to: bId, text, clientMessageId: randomUUID() }
          : { kind: 'public', text, clientMessageId: randomUUID() },
      );
      assert.ok(ack.ok);
    }
  });
  after(() => t.close());

  const get = (path: string, key = auditor) => request(t.url).get(path).set('X-API-Key', key);

  it('requires the audit:read scope', async () => {
    const { body } = await admin
      .post('/api/v1/api-keys', { name: 'ops', scopes: ['admin'] })
      .expect(201);
    const res = await get(`/api/v1/rooms/${roomId}/messages`, body.key).expect(403);
    assert.equal(res.body.error.code, 'FORBIDDEN');
    await request(t.url).get(`/api/v1/rooms/${roomId}/messages`).expect(401);
  });

  it('lists messages with filters and keyset pagination on seq', async () => {
    const all = await get(`/api/v1/rooms/${roomId}/messages`).expect(200);
    assert.deepEqual(
      all.body.items.map((m: { seq: number }) => m.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(all.body.nextCursor, null);
    const page1 = await get(`/api/v1/rooms/${roomId}/messages?limit=4`).expect(200);
    assert.equal(page1.body.nextCursor, 4);
    const page2 = await get(`/api/v1/rooms/${roomId}/messages?limit=4&cursor=4`).expect(200);
    assert.deepEqual(
      page2.body.items.map((m: { seq: number }) => m.seq),
      [5, 6],
    );
    const priv = await get(
      `/api/v1/rooms/${roomId}/messages?kind=private&participantId=${bId}`,
    ).expect(200);
    assert.equal(priv.body.items.length, 3);
    assert.ok(
      priv.body.items.every((m: { to: { participantId: string } }) => m.to.participantId === bId),
    );
    const future = await get(
      `/api/v1/rooms/${roomId}/messages?from=${new Date(Date.now() + 60_000).toISOString()}`,
    ).expect(200);
    assert.equal(future.body.items.length, 0);
    const bad = await get(`/api/v1/rooms/${roomId}/messages?kind=secret`).expect(400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    await get(`/api/v1/rooms/${randomUUID()}/messages`).expect(404);
  });

  const exportText = async (query: string) =>
    (
      await get(`/api/v1/audit/messages/export?${query}`)
        .buffer(true)
        .parse((res, cb) => {
          let data = '';
          res.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
          res.on('end', () => cb(null, data));
        })
        .expect(200)
    ).body as string;
  const exportNdjson = async (query: string) =>
    (await exportText(`${query}&format=ndjson`))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ReturnType<typeof asNdjson>);
  const rowsWhere = (where: string, params: unknown[]) =>
    t.db.query<Row>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS us
       FROM chat_messages WHERE ${where} ORDER BY room_id, seq`,
      params,
    );

  it('exports NDJSON and CSV that match the stored rows, every column', async () => {
    const rows = await rowsWhere('room_id = $1', [roomId]);
    assert.equal(rows.length, 6);
    assert.ok(rows.some((r) => r.kind === 'private') && rows.some((r) => r.kind === 'public'));
    const nd = await get(`/api/v1/audit/messages/export?roomId=${roomId}&format=ndjson`).expect(
      200,
    );
    assert.match(String(nd.headers['content-type']), /application\/x-ndjson/);
    const lines = nd.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(lines, rows.map(asNdjson));

    const table = parseCsv(await exportText(`roomId=${roomId}&format=csv`));
    assert.equal(
      table[0].join(','),
      'id,room_id,seq,kind,sender_id,sender_name,recipient_id,recipient_name,text,client_message_id,sent_at,prev_hash,hash,hash_version',
    );
    assert.deepEqual(table.slice(1), rows.map(asCsv));
    await get(`/api/v1/audit/messages/export?format=xml`).expect(400);
  });

  it('exports across all rooms and by time range (from inclusive, to exclusive), with or without a room', async () => {
    const [roomX, roomY] = [
      await rooms.create({ name: 'Export X' }),
      await rooms.create({ name: 'Export Y' }),
    ];
    const [x, y] = [roomX.id, roomY.id];
    const px = await roomX.join('Xavier');
    const py = await roomY.join('Yvonne');
    const say = (who: Person, text: string) => who.say(text);
    const tick = () => sleep(25);
    await say(px, 'x-early');
    await tick();
    const t1 = new Date();
    await tick();
    await say(px, 'x-mid');
    await say(py, 'y-mid');
    await tick();
    const t2 = new Date();
    await tick();
    await say(px, 'x-late');
    const [from, to] = [t1.toISOString(), t2.toISOString()];

    const everything = await rowsWhere('true', []);
    assert.ok(new Set(everything.map((r) => r.room_id)).size >= 3);
    assert.deepEqual(await exportNdjson(''), everything.map(asNdjson));
    assert.deepEqual(
      parseCsv(await exportText('format=csv')).slice(1),
      everything.map(asCsv),
      'CSV of all rooms',
    );

    const window = await exportNdjson(`from=${from}&to=${to}`);
    assert.deepEqual(window.map((m) => m.text).sort(), ['x-mid', 'y-mid']);
    assert.deepEqual(
      window,
      (await rowsWhere('created_at >= $1 AND created_at < $2', [t1, t2])).map(asNdjson),
    );
    const windowCsv = parseCsv(await exportText(`from=${from}&to=${to}&format=csv`)).slice(1);
    assert.deepEqual(windowCsv.map((cells) => cells[8]).sort(), ['x-mid', 'y-mid']);

    const xSince = await exportNdjson(`roomId=${x}&from=${from}`);
    assert.deepEqual(
      xSince.map((m) => m.text),
      ['x-mid', 'x-late'],
    );
    const xUntil = await exportNdjson(`roomId=${x}&to=${from}`);
    assert.deepEqual(
      xUntil.map((m) => m.text),
      ['x-early'],
    );
    const exact = everything.find((r) => r.text === 'y-mid')!;
    const atInstant = await exportNdjson(`roomId=${y}&from=${exact.created_at.toISOString()}`);
    assert.deepEqual(
      atInstant.map((m) => m.text),
      ['y-mid'],
      'from is inclusive',
    );
    const beforeInstant = await exportNdjson(`roomId=${y}&to=${exact.created_at.toISOString()}`);
    assert.deepEqual(beforeInstant, [], 'to is exclusive');
    await get(`/api/v1/audit/messages/export?from=yesterday`).expect(400);
  });

  it('verify while people are chatting: every answer is valid and agrees with itself', async () => {
    const busy = await rooms.create({ name: 'Busy room' });
    const room = busy.id;
    const { client: sender } = await busy.join('Sam');
    let sending = true;
    const traffic = (async () => {
      let sent = 0;
      while (sending || sent < 20) {
        const burst = Array.from({ length: 5 }, () =>
          sender.request('chat:send', {
            kind: 'public',
            text: `busy ${sent++}`,
            clientMessageId: randomUUID(),
          }),
        );
        for (const ack of await Promise.all(burst)) assert.ok(ack.ok);
      }
      return sent;
    })();
    const answers: { valid: boolean; count: number; headSeq: number; firstBrokenSeq?: number }[] =
      [];
    for (let i = 0; i < 25; i++)
      answers.push((await get(`/api/v1/rooms/${room}/messages/verify`).expect(200)).body);
    sending = false;
    const sent = await traffic;
    for (const answer of answers) {
      assert.equal(answer.valid, true, JSON.stringify(answer));
      assert.equal(answer.count, answer.headSeq, 'rows and head from one moment');
    }
    assert.ok(
      answers.some((a) => a.count > 0 && a.count < sent),
      'verify ran during the traffic',
    );
    const last = (await get(`/api/v1/rooms/${room}/messages/verify`).expect(200)).body;
    assert.equal(last.valid, true);
    assert.equal(last.count, sent);
  });

  it('verifies an intact chain, and reports the first broken seq after tampering or deletion', async () => {
    const ok = await get(`/api/v1/rooms/${roomId}/messages/verify`).expect(200);
    const [last] = await t.db.query<{ hash: string }>(
      `SELECT hash FROM chat_messages WHERE room_id = $1 AND seq = 6`,
      [roomId],
    );
    const head = { headSeq: 6, headHash: last.hash, signature: 'unchecked' };
    assert.deepEqual(ok.body, { valid: true, count: 6, ...head });

    await t.db.tamper(`UPDATE chat_messages SET text = 'edited' WHERE room_id = $1 AND seq = 3`, [
      roomId,
    ]);
    const edited = await get(`/api/v1/rooms/${roomId}/messages/verify`).expect(200);
    assert.deepEqual(edited.body, { valid: false, count: 6, firstBrokenSeq: 3, ...head });
    await t.db.tamper(
      `UPDATE chat_messages SET text = 'with "quotes"' WHERE room_id = $1 AND seq = 3`,
      [roomId],
    );
    assert.equal((await get(`/api/v1/rooms/${roomId}/messages/verify`)).body.valid, true);

    // As JSON, created_at keeps its microseconds (a pg Date would not).
    const [saved] = await t.db.query<{ row: unknown }>(
      `SELECT to_json(m) AS row FROM chat_messages m WHERE room_id = $1 AND seq = 6`,
      [roomId],
    );
    await t.db.tamper(`DELETE FROM chat_messages WHERE room_id = $1 AND seq = 6`, [roomId]);
    const truncated = await get(`/api/v1/rooms/${roomId}/messages/verify`).expect(200);
    assert.deepEqual(truncated.body, { valid: false, count: 5, firstBrokenSeq: 6, ...head });
    await t.db.query(
      `INSERT INTO chat_messages SELECT * FROM json_populate_record(null::chat_messages, $1)`,
      [JSON.stringify(saved.row)],
    );

    await t.db.tamper(
      `UPDATE chat_messages SET sender_name = 'Mallory' WHERE room_id = $1 AND seq = 2`,
      [roomId],
    );
    const renamed = await get(`/api/v1/rooms/${roomId}/messages/verify`).expect(200);
    assert.equal(renamed.body.firstBrokenSeq, 2);
    await t.db.tamper(
      `UPDATE chat_messages SET sender_name = 'Alice' WHERE room_id = $1 AND seq = 2`,
      [roomId],
    );
    assert.equal((await get(`/api/v1/rooms/${roomId}/messages/verify`)).body.valid, true);
  });

  it('reports the chain head; without a signing key, a rewrite that recomputes the hashes passes verify but not a head recorded before it', async () => {
    const rewrite = await rooms.create({ name: 'Rewrite' });
    const room = rewrite.id;
    const empty = await get(`/api/v1/rooms/${room}/messages/verify`).expect(200);
    assert.deepEqual(empty.body, {
      valid: true,
      count: 0,
      headSeq: 0,
      headHash: '0'.repeat(64),
      signature: 'unchecked',
    });

    const x = await rewrite.join('X');
    for (const text of ['I agree', 'see you at 5', 'bye']) await x.say(text);

    // The export alone is enough to check the chain offline, with the form the README gives.
    const exported = await exportNdjson(`roomId=${room}`);
    let prev = '0'.repeat(64);
    for (const m of exported) {
      assert.equal(m.prevHash, prev, `seq ${m.seq} does not link to its predecessor`);
      assert.equal(documentedHash(m), m.hash, `seq ${m.seq}: README's canonical form differs`);
      prev = m.hash;
    }
    const recorded = (await get(`/api/v1/rooms/${room}/messages/verify`).expect(200)).body;
    assert.deepEqual(recorded, {
      valid: true,
      count: 3,
      headSeq: 3,
      headHash: prev,
      signature: 'unchecked',
    });

    // Someone with write access rewrites message 1 and recomputes every later hash and the head.
    await rewriteChain(t.db, room, exported, { [exported[0].seq]: 'I disagree' });

    const after = (await get(`/api/v1/rooms/${room}/messages/verify`).expect(200)).body;
    assert.equal(
      after.valid,
      true,
      'without a signing key, the chain cannot show a recomputed rewrite',
    );
    const [row] = await exportNdjson(`roomId=${room}`).then((ms) =>
      ms.filter((m) => m.seq === recorded.headSeq),
    );
    assert.notEqual(row.hash, recorded.headHash, 'the head recorded outside shows the rewrite');
  });

  it('retention purges a prefix, leaves a checkpoint, and the rest still verifies', async () => {
    const retention = await rooms.create({ name: 'Retention' });
    const room = retention.id;
    const x = await retention.join('X');
    for (let i = 0; i < 3; i++) await x.say(`old-${i}`);
    await sleep(20);
    const cutoff = new Date();
    await sleep(20);
    for (let i = 0; i < 2; i++) await x.say(`new-${i}`);

    // Two rows per transaction: the three old rows go in two steps, the checkpoint moving on.
    const removed = await t.app.get(AuditRetention).purge(cutoff, 2);
    assert.ok(removed >= 3);
    const left = await t.db.query<{ text: string }>(
      `SELECT text FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
      [room],
    );
    assert.deepEqual(
      left.map((r) => r.text),
      ['new-0', 'new-1'],
    );
    const [checkpoint] = await t.db.query<{ seq: string; purged_count: number }>(
      `SELECT seq, purged_count FROM chat_checkpoints WHERE room_id = $1`,
      [room],
    );
    assert.deepEqual([Number(checkpoint.seq), Number(checkpoint.purged_count)], [3, 3]);
    const verified = await get(`/api/v1/rooms/${room}/messages/verify`).expect(200);
    const [newest] = await t.db.query<{ hash: string }>(
      `SELECT hash FROM chat_messages WHERE room_id = $1 AND seq = 5`,
      [room],
    );
    assert.deepEqual(verified.body, {
      valid: true,
      count: 2,
      checkpointSeq: 3,
      headSeq: 5,
      headHash: newest.hash,
      signature: 'unchecked',
    });
    assert.ok(
      (
        await x.client.request('chat:send', {
          kind: 'public',
          text: 'after purge',
          clientMessageId: randomUUID(),
        })
      ).ok,
    );
    assert.equal((await get(`/api/v1/rooms/${room}/messages/verify`)).body.valid, true);
    await t.db.tamper(`UPDATE chat_messages SET text = 'forged' WHERE room_id = $1 AND seq = 4`, [
      room,
    ]);
    assert.equal((await get(`/api/v1/rooms/${room}/messages/verify`)).body.firstBrokenSeq, 4);
  });
});
