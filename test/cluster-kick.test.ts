import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TRAFFIC_ENV } from './support/app.js';
import { TEST_REDIS_URL, TestCluster } from './support/cluster.js';
import { ClusterRoom, sendOk } from './support/cluster-room.js';
import { useRooms } from './support/room.js';
import { SlowLink } from './support/slow-link.js';

/** How late node 1 reads the adapter's stream (what other nodes send its connections). */
const STREAM_LAG_MS = 400;

describe("a kick across nodes, while the kicked person's node reads the adapter late", () => {
  let cluster: TestCluster;
  let redisLink: SlowLink;
  const rooms = useRooms(() => cluster.node(0));

  before(async () => {
    // Node 1 reaches Redis through a link on which the replies to its stream reads lag: what the
    // adapter carries to node 1 (emits, disconnects) arrives late; node requests do not.
    redisLink = await SlowLink.start(TEST_REDIS_URL);
    redisLink.delayRepliesAfter('XREAD', STREAM_LAG_MS);
    const viaLink = `redis://127.0.0.1:${new URL(redisLink.url).port}`;
    // A long node TTL: heartbeats 15 s apart, so node 1 (started after node 0) is not yet in
    // node 0's last heartbeat during these tests, as after a scale-up; a kick must reach it all
    // the same.
    cluster = await TestCluster.start(
      2,
      { ...TRAFFIC_ENV, CONVENE_NODE_TTL_SECONDS: '60' },
      {
        nodeEnv: (i): Record<string, string> => (i === 1 ? { REDIS_URL: viaLink } : {}),
      },
    );
  });
  after(async () => {
    await cluster?.close();
    await redisLink?.close();
  });

  it('ends the person on every node before its ack: what their node sends the room next never reaches them', async () => {
    // Regression (found by the checked model, src/conference/routing.pml): the kick ended the
    // connections only through the adapter and answered at once, so a public message sent on the
    // kicked person's node right after the kick still reached them there.
    const r = await ClusterRoom.create(cluster, rooms);
    const host = await r.person(0, 'Host', { role: 'host' });
    const kicked = await r.person(1, 'Kim');
    const neighbour = await r.person(1, 'Nell');
    await host.client.waitFor(
      'participant:joined',
      (p) => p.participantId === neighbour.participantId,
    );

    const kick = await host.client.request('room:kick', { participantId: kicked.participantId });
    assert.ok(kick.ok, JSON.stringify(kick));
    const sent = await sendOk(neighbour, { kind: 'public', text: 'right after the kick' });
    await host.client.waitFor('chat:message', (m) => m.id === sent.id);
    const ended = await kicked.client.waitFor('session:ended', undefined, 10_000);
    assert.equal(ended.reason, 'kicked');
    await kicked.client.waitForDisconnect(10_000);
    assert.deepEqual(
      kicked.client.events('chat:message').map((m) => m.text),
      [],
      'the kicked person received what was sent after the kick',
    );
    // Still a kick for the room, not a dropped link.
    const left = await host.client.waitFor(
      'participant:left',
      (p) => p.participantId === kicked.participantId,
    );
    assert.equal(left.reason, 'kicked');
    assert.deepEqual(await r.live(1), [host.participantId, neighbour.participantId].sort());
  });

  it('a node that does not answer (stalled) delays the kick by the request deadline, never fails it', async () => {
    const r = await ClusterRoom.create(cluster, rooms);
    const host = await r.person(0, 'Host', { role: 'host' });
    const kicked = await r.person(0, 'Kai');
    await r.person(1, 'Stella');
    cluster.node(1).pause();
    try {
      const started = Date.now();
      const kick = await host.client.request(
        'room:kick',
        { participantId: kicked.participantId },
        15_000,
      );
      assert.ok(kick.ok, JSON.stringify(kick));
      // CONVENE_NODE_REQUEST_TIMEOUT_MS of the test cluster: 2 s.
      assert.ok(Date.now() - started >= 1900, 'the kick waited for the stalled node');
      const ended = await kicked.client.waitFor('session:ended', undefined, 10_000);
      assert.equal(ended.reason, 'kicked');
      await kicked.client.waitForDisconnect(10_000);
    } finally {
      cluster.node(1).resume();
    }
  });
});
