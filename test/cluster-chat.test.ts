import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from './support/cluster.js';
import { ClusterRoom, privateTexts, sendOk } from './support/cluster-room.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { TRAFFIC_ENV } from './support/app.js';

describe('chat across three nodes', () => {
  let cluster: TestCluster;
  const rooms = useRooms(() => cluster.node(0));
  const room = (body: { maxParticipants?: number } = {}) =>
    ClusterRoom.create(cluster, rooms, body);

  before(async () => {
    cluster = await TestCluster.start(3, TRAFFIC_ENV);
  });
  after(async () => {
    await cluster?.close();
  });

  it('a participant who joins on a third node never receives private messages between two others on other nodes; public messages reach all', async () => {
    const r = await room();
    const a = await r.person(0, 'A');
    const b = await r.person(1, 'B');
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'before-1' });
    await sendOk(b, { kind: 'private', to: a.participantId, text: 'before-2 (reply)' });
    const c = await r.person(2, 'C');
    await a.client.waitFor('participant:joined', (p) => p.participantId === c.participantId);
    await b.client.waitFor('participant:joined', (p) => p.participantId === c.participantId);
    for (let i = 1; i <= 5; i++)
      await sendOk(a, { kind: 'private', to: b.participantId, text: `after-${i}` });
    await sendOk(b, { kind: 'private', to: a.participantId, text: 'after-reply' });
    await sendOk(a, { kind: 'public', text: 'hello everyone' });
    await b.client.waitFor('chat:message', (m) => m.text === 'hello everyone');
    await c.client.waitFor('chat:message', (m) => m.text === 'hello everyone');
    // A message C sends after all of the above reaches A and B last: anything private for C
    // would have arrived by then (one stream carries a node's emits in order).
    await sendOk(c, { kind: 'public', text: 'from C' });
    await a.client.waitFor('chat:message', (m) => m.text === 'from C');
    await b.client.waitFor('chat:message', (m) => m.text === 'from C');

    assert.deepEqual(privateTexts(b.client), [
      'before-1',
      'after-1',
      'after-2',
      'after-3',
      'after-4',
      'after-5',
    ]);
    assert.deepEqual(privateTexts(a.client), ['before-2 (reply)', 'after-reply']);
    assert.deepEqual(privateTexts(c.client), [], 'C received a private message for someone else');
    assert.deepEqual(
      c.client.events('chat:message').map((m) => m.text),
      ['hello everyone'],
    );

    // Audited exactly once each, whichever node stored and whichever node is asked.
    const stored = await r.audited(2);
    assert.equal(stored.length, 10);
    assert.equal(new Set(stored.map((m) => m.clientMessageId)).size, 10);
    assert.deepEqual(
      stored.map((m) => m.seq),
      stored.map((_, i) => i + 1),
    );
  });

  it('RECIPIENT_NOT_IN_ROOM and the participant list hold for the whole cluster', async () => {
    const r = await room();
    const a = await r.person(0, 'A');
    const b = await r.person(1, 'B');
    for (const node of [0, 1, 2])
      assert.deepEqual(await r.live(node), [a.participantId, b.participantId].sort());
    await sendOk(a, { kind: 'private', to: b.participantId, text: 'still here?' });

    const left = await b.client.request('room:leave', {});
    assert.ok(left.ok);
    await a.client.waitFor('participant:left', (p) => p.participantId === b.participantId);
    const refused = await a.client.request('chat:send', {
      kind: 'private',
      to: b.participantId,
      text: 'gone?',
      clientMessageId: '8d1b2a36-0d59-4f8e-9d7a-0c8f4a5b6c7d',
    });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'RECIPIENT_NOT_IN_ROOM');
    for (const node of [0, 1, 2]) assert.deepEqual(await r.live(node), [a.participantId]);
    // B, still connected to node 2 but no longer joined, receives nothing private.
    await sendOk(a, { kind: 'public', text: 'after B left' });
    assert.deepEqual(privateTexts(b.client), ['still here?']);
  });

  it('the hash chain stays linear while senders on three nodes write to one room at once', async () => {
    const r = await room();
    const senders = await Promise.all([0, 0, 1, 1, 2, 2].map((node, i) => r.person(node, `S${i}`)));
    const perSender = 30;
    const acked = await Promise.all(
      senders.map(async (s) => {
        const mine = [];
        // Several in flight per sender, so every node's group commit batches while the others write.
        for (let round = 0; round < perSender / 5; round++)
          mine.push(
            ...(await Promise.all(
              [1, 2, 3, 4, 5].map((k) =>
                sendOk(s, { kind: 'public', text: `${s.name}-${round * 5 + k}` }),
              ),
            )),
          );
        return mine;
      }),
    );
    const total = senders.length * perSender;
    const ackedIds = new Set(acked.flat().map((m) => m.id));
    assert.equal(ackedIds.size, total);

    for (const node of [0, 1, 2]) {
      const verify = await r
        .admin(node)
        .get(`/api/v1/rooms/${r.roomId}/messages/verify`)
        .expect(200);
      assert.equal(verify.body.valid, true, JSON.stringify(verify.body));
      assert.equal(verify.body.count, total);
      assert.equal(verify.body.headSeq, total);
    }
    const stored = await r.audited(1);
    assert.deepEqual(
      stored.map((m) => m.seq),
      Array.from({ length: total }, (_, i) => i + 1),
    );
    assert.deepEqual(new Set(stored.map((m) => m.id)), ackedIds);
    // Everyone received every message once (the sender its own only through its ack).
    const last = senders[0];
    await eventually(
      () => last.client.events('chat:message').length === total - perSender,
      'every message delivered to a sender on node 1',
      30_000,
    );
  });
});
