import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { AuditLog } from '../src/chat/audit/audit-log.js';
import type { NewMessage } from '../src/chat/audit/hash-chain.js';
import { ChatSendDto } from '../src/chat/dto/chat-send.dto.js';
import { PrecheckedValidationPipe } from '../src/common/validation.js';
import type { ChatMessage, ChatSendPayload } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, TestApp, TRAFFIC_ENV } from './support/app.js';
import { SlowLink } from './support/slow-link.js';
import { type Person, useRooms } from './support/room.js';
import { sleep, TestClient } from './support/sockets.js';

async function sendOk(
  from: Person,
  payload: Omit<ChatSendPayload, 'clientMessageId'>,
): Promise<ChatMessage> {
  const ack = await from.client.request('chat:send', { ...payload, clientMessageId: randomUUID() });
  if (!ack.ok) throw new Error(`send failed: ${ack.error.code} ${ack.error.message}`);
  return ack.message;
}

const privateTexts = (c: TestClient) =>
  c
    .events('chat:message')
    .filter((m) => m.kind === 'private')
    .map((m) => m.text);
const allTexts = (c: TestClient) => c.events('chat:message').map((m) => m.text);

describe('private chat cannot leak', () => {
  let t: TestApp;
  let admin: Admin;
  before(async () => {
    t = await startApp(TRAFFIC_ENV);
    admin = new Admin(t.url);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('a participant who joins mid-conversation never receives private messages addressed to someone else', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'before-1' });
    await sendOk(b, { kind: 'private', to: a.participantId, text: 'before-2 (reply)' });
    const c = await room.join('C');
    await a.client.waitFor('participant:joined', (p) => p.participantId === c.participantId);
    for (let i = 1; i <= 5; i++)
      await sendOk(a, { kind: 'private', to: b.participantId, text: `after-${i}` });
    await sendOk(a, { kind: 'public', text: 'hello everyone' });
    await b.client.waitFor('chat:message', (m) => m.text === 'hello everyone');
    await c.client.waitFor('chat:message', (m) => m.text === 'hello everyone');
    await sleep(100);

    assert.deepEqual(privateTexts(b.client), [
      'before-1',
      'after-1',
      'after-2',
      'after-3',
      'after-4',
      'after-5',
    ]);
    assert.deepEqual(privateTexts(a.client), ['before-2 (reply)']);
    assert.deepEqual(allTexts(c.client), ['hello everyone'], 'C saw something it must not');
    for (const m of b.client.events('chat:message').filter((x) => x.kind === 'private')) {
      assert.equal(m.from.participantId, a.participantId);
      assert.equal(m.to, b.participantId);
    }

    const audit = await admin.get(`/api/v1/rooms/${room.id}/messages?kind=private`).expect(200);
    assert.equal(audit.body.items.length, 7);
    for (const item of audit.body.items) {
      const fromA = item.from.participantId === a.participantId;
      assert.equal(item.from.displayName, fromA ? 'A' : 'B');
      assert.deepEqual(
        item.to,
        fromA
          ? { participantId: b.participantId, displayName: 'B' }
          : { participantId: a.participantId, displayName: 'A' },
      );
    }
    const history = await c.client.request('chat:history', {});
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => m.text),
      ['hello everyone'],
    );
    const historyB = await b.client.request('chat:history', {});
    assert.ok(historyB.ok);
    assert.equal(historyB.messages.length, 8);
  });

  it('join, leave and reconnect races never leak or lose a private message (seeded, many iterations)', async () => {
    const seed = Number(process.env.CHAT_RACE_SEED ?? 20261125);
    const iterations = Number(process.env.CHAT_RACE_ITERATIONS ?? 25);
    const { seededRandom } = await import('./support/random.js');
    const random = seededRandom(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];

    for (let iteration = 0; iteration < iterations; iteration++) {
      const room = await rooms.create({ name: `race-${iteration}` });
      const a = await room.join('A');
      const b = await room.join('B');
      const others = await Promise.all(
        ['C', 'D', 'E'].map(async (name) => ({ name, ...(await room.issue(name)) })),
      );
      const otherClients: TestClient[] = [];
      const burst = 10 + Math.floor(random() * 10);
      const texts = Array.from({ length: burst }, (_, i) => `it${iteration}-m${i}`);

      const churn = others.map(async (o) => {
        for (let step = 0; step < 4; step++) {
          await sleep(Math.floor(random() * 8));
          const action = pick(['join', 'join-leave', 'join-disconnect', 'connect-only']);
          const client = await rooms.connect(o.token);
          otherClients.push(client);
          if (action === 'connect-only') continue;
          await client.request('room:join', {});
          if (action === 'join-leave') await client.request('room:leave', {});
          if (action === 'join-disconnect') client.close();
        }
      });
      const sends = texts.map(async (text) => {
        await sleep(Math.floor(random() * 10));
        return a.client.request('chat:send', {
          kind: 'private',
          to: b.participantId,
          text,
          clientMessageId: randomUUID(),
        });
      });
      const [acks] = await Promise.all([Promise.all(sends), Promise.all(churn)]);

      assert.ok(
        acks.every((ack) => ack.ok),
        `iteration ${iteration}: an ack failed: ${JSON.stringify(acks.find((x) => !x.ok))}`,
      );
      await b.client
        .waitFor('chat:message', () => privateTexts(b.client).length >= burst, 3000)
        .catch(() => undefined);
      await sleep(30);
      assert.deepEqual(
        [...privateTexts(b.client)].sort(),
        [...texts].sort(),
        `iteration ${iteration} (seed ${seed}): B's messages differ`,
      );
      for (const client of otherClients) {
        assert.equal(
          client.events('chat:message').length,
          0,
          `iteration ${iteration} (seed ${seed}): a bystander received a message`,
        );
      }
      const rows = await t.db.query<{ n: string; distinct_ids: string }>(
        `SELECT count(*) AS n, count(DISTINCT client_message_id) AS distinct_ids FROM chat_messages WHERE room_id = $1 AND kind = 'private' AND sender_id = $2 AND recipient_id = $3`,
        [room.id, a.participantId, b.participantId],
      );
      assert.equal(Number(rows[0].n), burst, `iteration ${iteration}: audit rows missing or extra`);
      assert.equal(Number(rows[0].distinct_ids), burst);
      otherClients.forEach((c) => c.close());
      a.client.close();
      b.client.close();
    }
  });

  it('B reconnects mid-conversation and still receives; after B leaves, a private message to B is refused and reaches no one', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const c = await room.join('C');
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'one' });
    await b.client.waitFor('chat:message', (m) => m.text === 'one');

    const b2 = await rooms.connectAndJoin(b.token);
    await b.client.waitForDisconnect();
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'two' });
    await b2.waitFor('chat:message', (m) => m.text === 'two');

    const left = await b2.request('room:leave', {});
    assert.ok(left.ok);
    await a.client.waitFor('participant:left', (p) => p.participantId === b.participantId);
    const refused = await a.client.request('chat:send', {
      kind: 'private',
      to: b.participantId,
      text: 'three',
      clientMessageId: randomUUID(),
    });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'RECIPIENT_NOT_IN_ROOM');
    await sleep(100);
    for (const client of [b.client, b2, c.client]) assert.ok(!allTexts(client).includes('three'));
    const rows = await t.db.query(`SELECT 1 FROM chat_messages WHERE text = 'three'`);
    assert.equal(rows.length, 0);
    assert.deepEqual(allTexts(c.client), []);
  });

  it('a chat:send is validated once (the global pipes; the gateway adds none), by its compiled check', async () => {
    const room = await rooms.create();
    const ada = await room.join('Ada');
    const proto = PrecheckedValidationPipe.prototype;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply, restored below
    const transform = proto.transform;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below
    const accept = ChatSendDto.accept;
    let transforms = 0;
    let accepted = 0;
    proto.transform = function (this: PrecheckedValidationPipe, ...args) {
      transforms += 1;
      return transform.apply(this, args);
    };
    ChatSendDto.accept = (value: unknown) => {
      accepted += 1;
      return accept(value);
    };
    try {
      await ada.say('once');
    } finally {
      proto.transform = transform;
      ChatSendDto.accept = accept;
    }
    // One pass over the handler's two parameters (the socket, the payload); twice would be 4.
    assert.equal(transforms, 2);
    assert.equal(accepted, 1);
  });

  it('rejects bad input with a code, delivers nothing and stores nothing', async () => {
    const room = await rooms.create();
    const otherRoom = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const c = await room.join('C');
    const stranger = await otherRoom.join('Stranger');
    const before = await t.db.query(`SELECT count(*) AS n FROM chat_messages`);
    const id = () => randomUUID();
    const cases: [string, unknown, string][] = [
      [
        'missing kind',
        { to: b.participantId, text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'unknown kind',
        { kind: 'whisper', to: b.participantId, text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'private without to',
        { kind: 'private', text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'private with null to',
        { kind: 'private', to: null, text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'public with to',
        { kind: 'public', to: b.participantId, text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'to in another room',
        { kind: 'private', to: stranger.participantId, text: 'x', clientMessageId: id() },
        'RECIPIENT_NOT_IN_ROOM',
      ],
      [
        'to unknown',
        { kind: 'private', to: randomUUID(), text: 'x', clientMessageId: id() },
        'RECIPIENT_NOT_IN_ROOM',
      ],
      [
        'to = self',
        { kind: 'private', to: a.participantId, text: 'x', clientMessageId: id() },
        'RECIPIENT_NOT_IN_ROOM',
      ],
      [
        'to not a uuid',
        { kind: 'private', to: 'B', text: 'x', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'forged from',
        {
          kind: 'public',
          from: { participantId: b.participantId },
          text: 'x',
          clientMessageId: id(),
        },
        'VALIDATION_FAILED',
      ],
      [
        'over-long text',
        { kind: 'public', text: 'y'.repeat(4001), clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'blank text',
        { kind: 'public', text: '   \n ', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      ['non-string text', { kind: 'public', text: 42, clientMessageId: id() }, 'VALIDATION_FAILED'],
      [
        'object text',
        { kind: 'public', text: { toString: 'x' }, clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'unknown field',
        { kind: 'public', text: 'x', clientMessageId: id(), priority: 'high' },
        'VALIDATION_FAILED',
      ],
      [
        'bad clientMessageId',
        { kind: 'public', text: 'x', clientMessageId: '1' },
        'VALIDATION_FAILED',
      ],
      // Larger packets than CONVENE_WS_MAX_PAYLOAD_BYTES (64 KiB) close the connection instead:
      // test/hostile-input.test.ts.
      [
        '50 kB text',
        { kind: 'public', text: 'z'.repeat(50_000), clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      ['not an object', 'hello', 'VALIDATION_FAILED'],
      // PostgreSQL refuses NUL in text, and stores a lone surrogate as U+FFFD (the row would
      // then no longer match its hash): both must stop at the door.
      [
        'NUL in text',
        { kind: 'public', text: 'before\u0000after', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
      [
        'lone surrogate in text',
        { kind: 'private', to: b.participantId, text: 'half \uD800', clientMessageId: id() },
        'VALIDATION_FAILED',
      ],
    ];
    for (const [name, payload, code] of cases) {
      const ack = (await a.client.requestRaw('chat:send', payload)) as {
        ok: boolean;
        error?: { code: string; message: string };
      };
      assert.equal(ack.ok, false, name);
      assert.equal(ack.error?.code, code, `${name}: ${ack.error?.message}`);
    }
    const { client: lurker } = await room.connect('Lurker');
    const notJoined = await lurker.request('chat:send', {
      kind: 'public',
      text: 'x',
      clientMessageId: id(),
    });
    assert.ok(!notJoined.ok && notJoined.error.code === 'NOT_JOINED');

    await sleep(100);
    for (const p of [b, c, stranger])
      assert.deepEqual(allTexts(p.client), [], `${p.name} received something`);
    assert.deepEqual(await t.db.query(`SELECT count(*) AS n FROM chat_messages`), before);
    assert.ok(a.client.socket.connected, 'bad input must not cost the sender its connection');
  });

  it('a retry with the same clientMessageId is stored once, delivered once, and acked the same', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const payload = {
      kind: 'private' as const,
      to: b.participantId,
      text: 'exactly once',
      clientMessageId: randomUUID(),
    };
    const acks = await Promise.all([
      a.client.request('chat:send', payload),
      a.client.request('chat:send', payload),
    ]);
    const third = await a.client.request('chat:send', payload);
    for (const ack of [...acks, third]) assert.ok(ack.ok);
    const ids = [...acks, third].map((x) => (x.ok ? `${x.message.id}/${x.message.seq}` : ''));
    assert.equal(new Set(ids).size, 1);
    await sleep(150);
    assert.deepEqual(privateTexts(b.client), ['exactly once']);
    const rows = await t.db.query(`SELECT 1 FROM chat_messages WHERE client_message_id = $1`, [
      payload.clientMessageId,
    ]);
    assert.equal(rows.length, 1);
  });

  it('a message is already committed in PostgreSQL when chat:message reaches its recipient, private and public', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const c = await room.join('C');
    // A connection of its own, not the app's: it sees only what has been committed.
    const observer = new pg.Client({ connectionString: t.db.url });
    await observer.connect();
    // Every COMMIT that wrote messages takes 200 ms more (a deferred trigger runs at commit),
    // so a message put on the wire before its commit has finished would be caught here.
    await t.db.query(`
      CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN PERFORM pg_sleep(0.2); RETURN NULL; END $$;
      CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON chat_messages
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_slow_commit();`);
    const checks: Promise<{ who: string; kind: string; text: string; rows: number }>[] = [];
    const watch = (who: Person) =>
      who.client.socket.on('chat:message', (m) => {
        checks.push(
          observer
            .query('SELECT 1 FROM chat_messages WHERE id = $1', [m.id])
            .then((r) => ({ who: who.name, kind: m.kind, text: m.text, rows: r.rowCount ?? 0 })),
        );
      });
    watch(b);
    watch(c);
    try {
      // Concurrent sends, so several are group-committed together.
      await Promise.all([
        ...[1, 2, 3].map((i) => sendOk(a, { kind: 'private', to: b.participantId, text: `p${i}` })),
        ...[1, 2].map((i) => sendOk(a, { kind: 'public', text: `all${i}` })),
      ]);
      await b.client.waitFor('chat:message', () => b.client.events('chat:message').length === 5);
      await c.client.waitFor('chat:message', () => c.client.events('chat:message').length === 2);
      const seen = await Promise.all(checks);
      assert.equal(seen.length, 7);
      assert.deepEqual(
        seen.filter((s) => s.rows !== 1),
        [],
        'a message arrived before its audit row was committed',
      );
      assert.equal(seen.filter((s) => s.who === 'B' && s.kind === 'private').length, 3);
      assert.deepEqual(
        seen
          .filter((s) => s.kind === 'public')
          .map((s) => s.who)
          .sort(),
        ['B', 'B', 'C', 'C'],
      );
    } finally {
      await observer.end();
      await t.db.query(`
        DROP TRIGGER test_slow_commit ON chat_messages;
        DROP FUNCTION test_slow_commit();`);
    }
  });

  it('a retry of a stored private message (ack lost) gets the same ack after the recipient left, and nobody receives it twice', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const c = await room.join('C');
    const payload = {
      kind: 'private' as const,
      to: b.participantId,
      text: 'did this arrive?',
      clientMessageId: randomUUID(),
    };
    const first = await a.client.request('chat:send', payload);
    assert.ok(first.ok);
    await b.client.waitFor('chat:message', (m) => m.text === payload.text);
    assert.ok((await b.client.request('room:leave', {})).ok);
    await a.client.waitFor('participant:left', (p) => p.participantId === b.participantId);

    // The web client re-sends with the same clientMessageId after a reconnect.
    const retry = await a.client.request('chat:send', payload);
    assert.ok(retry.ok, `retry refused: ${JSON.stringify(retry)}`);
    assert.deepEqual(retry.message, first.message);
    await sleep(100);
    assert.deepEqual(allTexts(b.client), [payload.text]);
    assert.deepEqual(allTexts(c.client), []);
    assert.deepEqual(allTexts(a.client), []);
    const rows = await t.db.query(`SELECT 1 FROM chat_messages WHERE client_message_id = $1`, [
      payload.clientMessageId,
    ]);
    assert.equal(rows.length, 1);

    // A new message to B is still refused.
    const fresh = await a.client.request('chat:send', {
      ...payload,
      clientMessageId: randomUUID(),
    });
    assert.ok(!fresh.ok && fresh.error.code === 'RECIPIENT_NOT_IN_ROOM');
  });

  it('a message PostgreSQL refuses fails alone: the others group-committed with it are stored, in one linear chain', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const audit = t.app.get(AuditLog);
    const message = (text: string, senderName = 'A'): NewMessage => ({
      roomId: room.id,
      kind: 'public',
      senderId: a.participantId,
      senderName,
      recipientId: null,
      recipientName: null,
      text,
      clientMessageId: randomUUID(),
    });
    // Appended in one tick: the first opens a transaction, the other three wait and are then
    // committed together. The bad one stands for any content PostgreSQL refuses (here a name
    // longer than sender_name's varchar(100)).
    const results = await Promise.allSettled([
      audit.append(message('g0')),
      audit.append(message('g1')),
      audit.append(message('refused', 'x'.repeat(101))),
      audit.append(message('g2')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    const refused = results[2] as PromiseRejectedResult;
    assert.equal((refused.reason as { code?: string }).code, 'AUDIT_UNAVAILABLE');

    const rows = await t.db.query<{ seq: string; text: string }>(
      `SELECT seq, text FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
      [room.id],
    );
    assert.deepEqual(
      rows.map((r) => [Number(r.seq), r.text]),
      [
        [1, 'g0'],
        [2, 'g1'],
        [3, 'g2'],
      ],
    );
    const verified = await admin.get(`/api/v1/rooms/${room.id}/messages/verify`).expect(200);
    assert.equal(verified.body.valid, true);
    assert.equal(verified.body.count, 3);
    const after = await sendOk(b, { kind: 'public', text: 'still fine' });
    assert.equal(after.seq, 4);
    await a.client.waitFor('chat:message', (m) => m.text === 'still fine');
  });

  it('a display name PostgreSQL would refuse or alter is not recorded (the row would not match its hash)', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const audit = t.app.get(AuditLog);
    for (const senderName of ['Eve \uD800', 'Eve\u0000']) {
      await assert.rejects(
        audit.append({
          roomId: room.id,
          kind: 'public',
          senderId: randomUUID(),
          senderName,
          recipientId: null,
          recipientName: null,
          text: 'hello',
          clientMessageId: randomUUID(),
        }),
        (e: { code?: string }) => e.code === 'VALIDATION_FAILED',
        JSON.stringify(senderName),
      );
    }
    assert.deepEqual(
      await t.db.query(`SELECT text FROM chat_messages WHERE room_id = $1`, [room.id]),
      [],
    );
    await sendOk(a, { kind: 'public', text: 'ok' });
    const verified = await admin.get(`/api/v1/rooms/${room.id}/messages/verify`).expect(200);
    assert.deepEqual(verified.body.valid, true);
  });

  it('fails closed while the database is down: AUDIT_UNAVAILABLE, nobody receives; works again after', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const c = await room.join('C');
    await t.db.cut();
    try {
      const priv = await a.client.request(
        'chat:send',
        { kind: 'private', to: b.participantId, text: 'lost?', clientMessageId: randomUUID() },
        15000,
      );
      assert.ok(!priv.ok);
      assert.equal(priv.error.code, 'AUDIT_UNAVAILABLE');
      const pub = await a.client.request(
        'chat:send',
        { kind: 'public', text: 'lost too?', clientMessageId: randomUUID() },
        15000,
      );
      assert.ok(!pub.ok && pub.error.code === 'AUDIT_UNAVAILABLE');
    } finally {
      await t.db.reopen();
    }
    await sleep(100);
    assert.deepEqual(allTexts(b.client), []);
    assert.deepEqual(allTexts(c.client), []);
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'back' });
    await b.client.waitFor('chat:message', (m) => m.text === 'back');
    const rows = await t.db.query(`SELECT text FROM chat_messages WHERE room_id = $1`, [room.id]);
    assert.deepEqual(rows, [{ text: 'back' }]);
  });
});

describe('chat rate limit', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({ CONVENE_CHAT_RATE_LIMIT_PER_10S: '5' });
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('refuses sends past the per-participant limit with RATE_LIMITED, without storing them', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const acks = [];
    for (let i = 0; i < 7; i++)
      acks.push(
        await a.client.request('chat:send', {
          kind: 'public',
          text: `m${i}`,
          clientMessageId: randomUUID(),
        }),
      );
    assert.equal(acks.filter((x) => x.ok).length, 5);
    assert.ok(acks.slice(5).every((x) => !x.ok && x.error.code === 'RATE_LIMITED'));
    const other = await b.client.request('chat:send', {
      kind: 'public',
      text: 'b is fine',
      clientMessageId: randomUUID(),
    });
    assert.ok(other.ok, 'the limit is per participant');
    const rows = await t.db.query(`SELECT count(*) AS n FROM chat_messages WHERE room_id = $1`, [
      room.id,
    ]);
    assert.equal(Number(rows[0].n), 6);
  });

  it('a retry of a stored message gets its ack even past the limit, without a second copy', async () => {
    const room = await rooms.create();
    const a = await room.join('A');
    const b = await room.join('B');
    const first = { kind: 'public' as const, text: 'm0', clientMessageId: randomUUID() };
    const firstAck = await a.client.request('chat:send', first);
    assert.ok(firstAck.ok);
    for (let i = 1; i < 5; i++)
      assert.ok(
        (
          await a.client.request('chat:send', {
            kind: 'public',
            text: `m${i}`,
            clientMessageId: randomUUID(),
          })
        ).ok,
      );
    const over = await a.client.request('chat:send', {
      kind: 'public',
      text: 'm5',
      clientMessageId: randomUUID(),
    });
    assert.ok(!over.ok && over.error.code === 'RATE_LIMITED');

    const retry = await a.client.request('chat:send', first);
    assert.ok(retry.ok, `retry refused: ${JSON.stringify(retry)}`);
    assert.deepEqual(retry.message, firstAck.message);
    await b.client.waitFor('chat:message', (m) => m.text === 'm4');
    await sleep(100);
    assert.deepEqual(
      b.client.events('chat:message').map((m) => m.text),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    const rows = await t.db.query(`SELECT 1 FROM chat_messages WHERE client_message_id = $1`, [
      first.clientMessageId,
    ]);
    assert.equal(rows.length, 1);
  });
});

describe('chat when PostgreSQL stops answering', () => {
  let t: TestApp;
  let link: SlowLink;
  before(async () => {
    t = await startApp(
      { CONVENE_DB_QUERY_TIMEOUT_MS: '1000', ...TRAFFIC_ENV },
      {
        // The app reaches PostgreSQL through a TCP relay that can stall, as a hung server or a
        // black-holed network does: connections stay open, nothing is answered.
        databaseUrl: async (url) => {
          const direct = new URL(url);
          link = await SlowLink.start(`http://${direct.hostname}:${direct.port || 5432}`);
          direct.port = new URL(link.url).port;
          return direct.toString();
        },
      },
    );
  });
  after(async () => {
    link.release('to-server');
    link.release('to-browser');
    await t.close();
    await link.close();
  });
  const rooms = useRooms(() => t);

  it('a send fails closed within the query timeout (AUDIT_UNAVAILABLE, nobody receives), and the room works again once the database answers', async () => {
    const room = await rooms.create();
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((n) => room.join(n)));
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'before' });
    await b.client.waitFor('chat:message', (m) => m.text === 'before');

    // 'to-server' is the app's side to PostgreSQL, 'to-browser' the answers.
    link.hold('to-server');
    link.hold('to-browser');
    try {
      const started = Date.now();
      const stalled = await a.client.request(
        'chat:send',
        { kind: 'private', to: b.participantId, text: 'stalled', clientMessageId: randomUUID() },
        10_000,
      );
      const elapsed = Date.now() - started;
      assert.ok(!stalled.ok, 'a message was acknowledged while the database did not answer');
      assert.equal(stalled.error.code, 'AUDIT_UNAVAILABLE');
      // 1 s statement timeout + 1 s for the link: well under the 5 s bound.
      assert.ok(elapsed < 5000, `the send took ${elapsed} ms to fail`);
    } finally {
      link.release('to-server');
      link.release('to-browser');
    }

    await sendOk(a, { kind: 'private', to: b.participantId, text: 'after' });
    await sendOk(a, { kind: 'public', text: 'everyone' });
    await c.client.waitFor('chat:message', (m) => m.text === 'everyone');
    await b.client.waitFor('chat:message', (m) => m.text === 'everyone');
    assert.deepEqual(allTexts(b.client), ['before', 'after', 'everyone']);
    assert.deepEqual(allTexts(c.client), ['everyone']);
    const rows = await t.db.query<{ text: string }>(
      `SELECT text FROM chat_messages WHERE room_id = $1 ORDER BY seq`,
      [room.id],
    );
    assert.deepEqual(
      rows.map((r) => r.text),
      ['before', 'after', 'everyone'],
    );
  });
});
