import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { participantIdForSubject } from '../src/auth/join-tokens.service.js';
import { TestCluster } from './support/cluster.js';
import { ClusterRoom, type Person, sendOk } from './support/cluster-room.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { LocalIdp } from './support/idp.js';
import { seededRandom } from './support/random.js';
import { connectError, type TestClient } from './support/sockets.js';
import { TRAFFIC_ENV } from './support/app.js';

describe('sessions across three nodes', () => {
  let cluster: TestCluster;
  let idp: LocalIdp;
  const rooms = useRooms(() => cluster.node(0));
  const room = (body: { maxParticipants?: number; lobby?: boolean } = {}) =>
    ClusterRoom.create(cluster, rooms, body);

  before(async () => {
    idp = await LocalIdp.start();
    cluster = await TestCluster.start(3, { ...idp.env, ...TRAFFIC_ENV });
  });
  after(async () => {
    await cluster?.close();
    await idp?.stop();
  });

  it('a second connection with the same token on another node replaces the first, silently for the room', async () => {
    const r = await room();
    const a = await r.person(0, 'A');
    const b = await r.person(1, 'B');
    const again = await r.connect(2, a.token);
    const ended = await a.client.waitFor('session:ended', undefined, 10_000);
    assert.equal(ended.reason, 'replaced');
    await a.client.waitForDisconnect(10_000);

    await sendOk(b, { kind: 'private', to: a.participantId, text: 'to the new tab' });
    await again.waitFor('chat:message', (m) => m.text === 'to the new tab');
    for (const node of [0, 1, 2])
      assert.deepEqual(await r.live(node), [a.participantId, b.participantId].sort());
    assert.equal(b.client.events('participant:left').length, 0, 'a replacement is not a leave');
  });

  it('two tabs joining at once on two nodes: exactly one stays, the one presence holds', async () => {
    // Regression (seen in CI): each join's replacement ended "every other connection", so two
    // joins racing across nodes could end each other, leaving the person with no connection.
    const r = await room();
    const p = await r.person(0, 'P');
    const other = await r.person(2, 'O');
    let current = p.client;
    for (let round = 0; round < 12; round++) {
      current.close();
      const tabs = await Promise.all(
        [round % 3, (round + 1) % 3].map((n) =>
          rooms.connect(p.token, { url: cluster.node(n).url }),
        ),
      );
      await Promise.allSettled(tabs.map((t) => t.request('room:join', {}, 15_000)));
      current = await eventually(() => {
        const open = tabs.filter((t) => t.socket.connected);
        return open.length === 1 && open[0];
      }, `round ${round}: one of the two tabs stays`);
      await sendOk(other, { kind: 'private', to: p.participantId, text: `round ${round}` });
      await current.waitFor('chat:message', (m) => m.text === `round ${round}`, 10_000);
    }
    for (const node of [0, 1, 2])
      assert.deepEqual(await r.live(node), [p.participantId, other.participantId].sort());
  });

  it('the capacity of a room holds when people join it on three nodes at once', async () => {
    const r = await room({ maxParticipants: 4 });
    const tokens = await Promise.all(
      Array.from({ length: 9 }, (_, i) => r.admin(0).issueToken(r.roomId, `P${i}`)),
    );
    const clients = await Promise.all(
      tokens.map((t, i) => r.connect(i % 3, t.token, { join: false })),
    );
    const acks = await Promise.all(clients.map((c) => c.request('room:join', {}, 15_000)));
    const joined = acks.filter((a) => a.ok).length;
    const full = acks.filter((a) => !a.ok && a.error.code === 'ROOM_FULL').length;
    assert.deepEqual({ joined, full }, { joined: 4, full: 5 });
    for (const node of [0, 1, 2]) assert.equal((await r.live(node)).length, 4);
  });

  it('admin actions on a node that holds none of the participants: list, admit, reject, kick, close', async () => {
    const r = await room({ lobby: true });
    const host = await r.person(0, 'Host', { role: 'host' });
    const member = await r.person(1, 'Member');
    const adminNode = r.admin(2);

    assert.deepEqual(await r.live(2), [host.participantId, member.participantId].sort());

    const gina = await r.person(1, 'Gina', { role: 'guest', join: false });
    const waiting = await gina.client.request('room:join', {});
    assert.ok(waiting.ok && waiting.status === 'waiting');
    await host.client.waitFor('lobby:waiting', (w) => w.participantId === gina.participantId);
    const lobby = await adminNode.get(`/api/v1/rooms/${r.roomId}/lobby`).expect(200);
    assert.deepEqual(
      (lobby.body as { participantId: string }[]).map((w) => w.participantId),
      [gina.participantId],
    );
    await adminNode.post(`/api/v1/rooms/${r.roomId}/lobby/${gina.participantId}/admit`).expect(204);
    await gina.client.waitFor('lobby:admitted');
    await host.client.waitFor('lobby:left', (w) => w.participantId === gina.participantId);
    const joined = await gina.client.request('room:join', {});
    assert.ok(joined.ok && joined.status === 'joined', JSON.stringify(joined));
    await host.client.waitFor('participant:joined', (p) => p.participantId === gina.participantId);

    const hugo = await r.person(0, 'Hugo', { role: 'guest', join: false });
    await hugo.client.request('room:join', {});
    await host.client.waitFor('lobby:waiting', (w) => w.participantId === hugo.participantId);
    await adminNode
      .post(`/api/v1/rooms/${r.roomId}/lobby/${hugo.participantId}/reject`)
      .expect(204);
    await hugo.client.waitFor('lobby:rejected');
    await hugo.client.waitForDisconnect(10_000);
    await host.client.waitFor('lobby:left', (w) => w.participantId === hugo.participantId);
    assert.deepEqual((await adminNode.get(`/api/v1/rooms/${r.roomId}/lobby`).expect(200)).body, []);

    await adminNode
      .delete(`/api/v1/rooms/${r.roomId}/participants/${member.participantId}`)
      .expect(204);
    const kicked = await member.client.waitFor('session:ended', undefined, 10_000);
    assert.equal(kicked.reason, 'kicked');
    await member.client.waitForDisconnect(10_000);
    const left = await host.client.waitFor(
      'participant:left',
      (p) => p.participantId === member.participantId,
    );
    assert.equal(left.reason, 'kicked');
    assert.equal(await connectError(cluster.node(0).url, member.token), 'TOKEN_REVOKED');
    assert.deepEqual(await r.live(1), [gina.participantId, host.participantId].sort());

    await adminNode.delete(`/api/v1/rooms/${r.roomId}`).expect(204);
    for (const p of [host, gina]) {
      const closed = await p.client.waitFor('session:ended', undefined, 10_000);
      assert.equal(closed.reason, 'room-closed');
      await p.client.waitForDisconnect(10_000);
    }
    for (const node of [0, 1, 2]) assert.deepEqual(await r.live(node), []);
  });

  it('a demotion at the IdP signed in on one node reaches the live host session on another', async () => {
    const r = await room();
    const subject = 'employee-hank';
    const hostToken = await idp.sign(
      { convene_room: r.roomId, name: 'Hank', convene_role: 'host' },
      { subject, issuedAt: Math.floor(Date.now() / 1000) - 60 },
    );
    const hank = await r.connect(0, hostToken);
    const hankId = participantIdForSubject(idp.issuer, subject, r.roomId);
    const paul = await r.person(1, 'Paul');
    const demoted = await idp.sign(
      { convene_room: r.roomId, name: 'Hank Moody', convene_role: 'participant' },
      { subject },
    );
    // Signs in on node 3 without joining: the live session on node 1 follows.
    await r.connect(2, demoted, { join: false });
    const updated = await paul.client.waitFor(
      'participant:updated',
      (p) => p.participantId === hankId,
    );
    assert.deepEqual(
      { role: updated.role, displayName: updated.displayName },
      { role: 'participant', displayName: 'Hank Moody' },
    );
    const kick = await hank.request('room:kick', { participantId: paul.participantId });
    assert.ok(!kick.ok);
    assert.equal(kick.error.code, 'FORBIDDEN');
    assert.ok(paul.client.socket.connected);
    const sent = await sendOk(hank, { kind: 'public', text: 'as who I am now' });
    assert.equal(sent.from.displayName, 'Hank Moody');
  });

  it('repeated joins, leaves, replacements and reconnects across nodes while private messages flow: nothing leaks, presence ends right everywhere', async () => {
    const r = await room();
    const random = seededRandom(1313);
    const x = await r.person(0, 'X');
    const y = await r.person(1, 'Y');
    const names = ['C0', 'C1', 'C2', 'C3', 'C4', 'C5'];
    const churners = await Promise.all(names.map((name, i) => r.person(i % 3, name)));
    const everyClient: { person: Person; client: TestClient }[] = [
      { person: x, client: x.client },
      { person: y, client: y.client },
      ...churners.map((p) => ({ person: p, client: p.client })),
    ];
    const track = (person: Person, client: TestClient) => {
      everyClient.push({ person, client });
      return client;
    };

    let flowing = true;
    const flow = (async () => {
      let i = 0;
      while (flowing) {
        await sendOk(x, { kind: 'private', to: y.participantId, text: `x-to-y-${i}` });
        await sendOk(y, { kind: 'private', to: x.participantId, text: `y-to-x-${i}` });
        i++;
      }
      return i;
    })();

    const finalNode = new Map<string, number | undefined>();
    await Promise.all(
      churners.map(async (p, index) => {
        let current = p.client;
        for (let round = 0; round < 8; round++) {
          const node = Math.floor(random() * 3);
          const op = Math.floor(random() * 4);
          if (op === 0) {
            // Another tab on another node replaces this one.
            const next = track(p, await r.connect(node, p.token));
            await current.waitForDisconnect(15_000);
            current = next;
          } else if (op === 1) {
            assert.ok((await current.request('room:leave', {}, 15_000)).ok);
            const back = await current.request('room:join', {}, 15_000);
            assert.ok(back.ok, JSON.stringify(back));
          } else if (op === 2) {
            current.close();
            current = track(p, await r.connect(node, p.token));
          } else {
            // Two tabs on two nodes join at the same time: one stays, the other is replaced.
            current.close();
            const tabs = await Promise.all(
              [node, (node + 1) % 3].map(async (n) =>
                track(p, await rooms.connect(p.token, { url: cluster.node(n).url })),
              ),
            );
            await Promise.allSettled(tabs.map((t) => t.request('room:join', {}, 15_000)));
            current = await eventually(() => {
              const open = tabs.filter((t) => t.socket.connected);
              return open.length === 1 && open[0];
            }, `one of ${p.name}'s two tabs replaced`);
          }
          await sendOk(current, {
            kind: 'private',
            to: churners[(index + 1) % churners.length].participantId,
            text: `${p.name}-round-${round}`,
          }).catch(() => undefined); // the recipient may be between connections
        }
        // Half of them stay (on the last node they used), half leave for good.
        if (index % 2 === 0) finalNode.set(p.participantId, undefined);
        else {
          current.close();
          finalNode.set(p.participantId, -1);
        }
        return current;
      }),
    );
    flowing = false;
    const exchanged = await flow;
    assert.ok(exchanged > 0);

    const expected = [x, y, ...churners.filter((_, i) => i % 2 === 0)]
      .map((p) => p.participantId)
      .sort();
    for (const node of [0, 1, 2])
      await eventually(
        async () => JSON.stringify(await r.live(node)) === JSON.stringify(expected),
        `presence on node ${node + 1} is the final set`,
        20_000,
      );
    // A newcomer sees exactly that set too.
    const newcomer = await r.person(2, 'Newcomer');
    const seen = await newcomer.client.request('room:join', {});
    assert.ok(seen.ok && seen.status === 'joined');
    assert.deepEqual(
      seen.participants.map((p) => p.participantId).sort(),
      [...expected, newcomer.participantId].sort(),
    );

    // Nobody ever received a private message that was neither to nor from them.
    for (const { person, client } of everyClient)
      for (const m of client.events('chat:message').filter((m) => m.kind === 'private'))
        assert.ok(
          m.to === person.participantId || m.from.participantId === person.participantId,
          `${person.name} received a private message from ${m.from.displayName}: ${m.text}`,
        );
    // X and Y each received every one addressed to them, once and in order.
    const texts = (c: TestClient, prefix: string) =>
      c
        .events('chat:message')
        .map((m) => m.text)
        .filter((t) => t.startsWith(prefix));
    assert.deepEqual(
      texts(y.client, 'x-to-y-'),
      Array.from({ length: exchanged }, (_, i) => `x-to-y-${i}`),
    );
    assert.deepEqual(
      texts(x.client, 'y-to-x-'),
      Array.from({ length: exchanged }, (_, i) => `y-to-x-${i}`),
    );
  });
});
