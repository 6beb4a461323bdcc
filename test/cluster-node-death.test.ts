import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatMessage } from '../src/protocol/events.js';
import { TestCluster } from './support/cluster.js';
import { ClusterRoom, type Person, privateTexts, sendOk } from './support/cluster-room.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { TRAFFIC_ENV } from './support/app.js';

describe('a node SIGKILLed mid-conversation', () => {
  let cluster: TestCluster;
  let r: ClusterRoom;
  const rooms = useRooms(() => cluster.node(0));

  before(async () => {
    cluster = await TestCluster.start(3, TRAFFIC_ENV);
    r = await ClusterRoom.create(cluster, rooms, { lobby: true });
  });
  after(async () => {
    await cluster?.close();
  });

  it('loses only its own connections; they come back through another node and carry on; the rest of its presence expires; nothing acknowledged is missing', async () => {
    const host = await r.person(0, 'Host', { role: 'host' });
    const bea = await r.person(1, 'Bea'); // on the node that dies, reconnects elsewhere
    const dan = await r.person(1, 'Dan'); // on the node that dies, does not come back
    const cem = await r.person(2, 'Cem');
    const guest = await r.person(1, 'Guest', { role: 'guest', join: false });
    await guest.client.request('room:join', {});
    await host.client.waitFor('lobby:waiting', (w) => w.participantId === guest.participantId);

    const acked: ChatMessage[] = [];
    let talking = true;
    // Bea and the host keep talking privately, Cem publicly, until the node dies under Bea.
    const talk = (from: Person, to: Person | undefined) =>
      (async () => {
        for (let i = 0; talking; i++) {
          const sent = await sendOk(from, {
            kind: to ? 'private' : 'public',
            ...(to ? { to: to.participantId } : {}),
            text: `${from.name}-${i}`,
          }).catch(() => undefined);
          if (!sent) return; // the connection died with its message in flight
          acked.push(sent);
        }
      })();
    const talkers = [talk(bea, host), talk(host, bea), talk(cem, undefined)];
    await eventually(() => acked.length >= 30, 'a conversation under way');

    const killedAt = Date.now();
    await cluster.node(1).kill();
    await bea.client.waitForDisconnect(10_000);
    // Bea reconnects at once, through node 3, with the token she has.
    const beaAgain = await r.connect(2, bea.token);
    talking = false;
    await Promise.all(talkers);

    const left = await host.client.waitFor(
      'participant:left',
      (p) => p.participantId === dan.participantId,
      20_000,
    );
    const expiredAfterMs = Date.now() - killedAt;
    assert.equal(left.reason, 'disconnected');
    await host.client.waitFor('lobby:left', (w) => w.participantId === guest.participantId, 20_000);
    await cem.client.waitFor('participant:left', (p) => p.participantId === dan.participantId);
    console.log(`# the dead node's participants left after ${expiredAfterMs} ms (node TTL 3 s)`);
    assert.ok(expiredAfterMs < 15_000, `presence expired after ${expiredAfterMs} ms`);

    // The survivors were never disconnected, and Bea, back through another node, stays present.
    assert.ok(host.client.socket.connected && cem.client.socket.connected);
    assert.equal(host.client.events('session:ended').length, 0);
    const expected = [host.participantId, bea.participantId, cem.participantId].sort();
    for (const node of [0, 2]) assert.deepEqual(await r.live(node), expected);
    assert.deepEqual(
      (await r.admin(0).get(`/api/v1/rooms/${r.roomId}/lobby`).expect(200)).body,
      [],
    );

    // Bea carries on: a private message each way, received by the two of them only.
    await sendOk(beaAgain, { kind: 'private', to: host.participantId, text: 'back again' });
    await host.client.waitFor('chat:message', (m) => m.text === 'back again');
    await sendOk(host, { kind: 'private', to: bea.participantId, text: 'welcome back' });
    await beaAgain.waitFor('chat:message', (m) => m.text === 'welcome back');
    assert.deepEqual(privateTexts(cem.client), []);

    // Everything acknowledged before, during and after the death is in the audit trail.
    const stored = await r.audited(0);
    const storedIds = new Set(stored.map((m) => m.id));
    const missing = acked.filter((m) => !storedIds.has(m.id));
    assert.deepEqual(missing, [], 'acknowledged messages missing from the audit trail');
    assert.equal(storedIds.size, stored.length, 'a message was stored twice');
    const verify = await r.admin(2).get(`/api/v1/rooms/${r.roomId}/messages/verify`).expect(200);
    assert.equal(verify.body.valid, true);
  });

  it('a restarted node under the same id rejoins the cluster and serves the room', async () => {
    await cluster.node(1).start();
    const eve = await r.person(1, 'Eve');
    const fay = await r.person(0, 'Fay');
    await eve.client.waitFor('participant:joined', (p) => p.participantId === fay.participantId);
    await sendOk(fay, { kind: 'private', to: eve.participantId, text: 'hello, restarted node' });
    await eve.client.waitFor('chat:message', (m) => m.text === 'hello, restarted node');
    // The previous test's people have left (the fixture closed them): both nodes agree.
    const expected = [eve.participantId, fay.participantId].sort();
    for (const node of [0, 1])
      await eventually(
        async () => JSON.stringify(await r.live(node)) === JSON.stringify(expected),
        `node ${node + 1} lists Eve and Fay only`,
      );
  });

  it('a node that stalls past its deadline (SIGSTOP) is treated as gone, and when it resumes ends its own sessions, whose clients join again', async () => {
    const gil = await r.person(1, 'Gil');
    const hal = await r.person(0, 'Hal');
    const stalled = cluster.node(1);
    stalled.pause();
    try {
      await hal.client.waitFor(
        'participant:left',
        (p) => p.participantId === gil.participantId,
        20_000,
      );
      assert.deepEqual(await r.live(0), [hal.participantId]);
    } finally {
      stalled.resume();
    }
    const ended = await gil.client.waitFor('session:ended', undefined, 20_000);
    assert.equal(ended.reason, 'server-shutdown');
    await gil.client.waitForDisconnect(10_000);
    await r.connect(1, gil.token);
    await hal.client.waitFor('participant:joined', (p) => p.participantId === gil.participantId);
    assert.deepEqual(await r.live(0), [gil.participantId, hal.participantId].sort());
  });
});
