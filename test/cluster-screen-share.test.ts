import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admin } from './support/admin.js';
import { useCluster } from './support/cluster.js';
import {
  consumeAndResume,
  roomMedia,
  routerCapabilities,
  vp8RtpParameters,
} from './support/media.js';
import { connectAndJoin } from './support/sockets.js';

// A screen share crosses nodes like any producer (registry in Redis, PipeTransports between the
// nodes), and keeps its source on the way: a viewer on the other node gets a `screen`, and a
// host there can stop it.

// Run with CONVENE_TEST_CLUSTER_RTC_BASE to choose the nodes' RTC ports.
describe('screen sharing across two convene processes', () => {
  const nodes = useCluster(2);
  const { track } = nodes;

  it('a viewer on node 2 consumes a share of node 1 with its source, and a host on node 2 stops it', async () => {
    const [one, two] = [nodes.cluster.node(0), nodes.cluster.node(1)];
    const admin = new Admin(one.url);
    const roomId = await admin.createRoom();
    const aliceToken = await admin.issueToken(roomId, 'Alice');
    const alice = track(await connectAndJoin(one.url, aliceToken.token));
    const bea = track(await connectAndJoin(two.url, (await admin.issueToken(roomId, 'Bea')).token));
    const host = track(
      await connectAndJoin(two.url, (await admin.issueToken(roomId, 'Host', 'host')).token),
    );

    const send = await alice.request('media:createTransport', { direction: 'send' });
    assert.ok(send.ok);
    const announced = bea.waitFor('media:newProducer', (p) => p.source === 'screen', 10_000);
    const produced = await alice.request('media:produce', {
      transportId: send.transport.id,
      kind: 'video',
      rtpParameters: vp8RtpParameters(),
      source: 'screen',
    });
    assert.ok(produced.ok, JSON.stringify(produced));
    const screen = produced.producerId;
    assert.equal((await announced).producerId, screen);

    // Node 2 lists it from the shared registry, with its source.
    const listed = await bea.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(
      listed.producers.map((p) => [p.producerId, p.source, p.participantId]),
      [[screen, 'screen', aliceToken.participantId]],
    );
    // Bea consumes it on node 2: the copy piped from node 1 carries the source.
    const recv = await bea.request('media:createTransport', { direction: 'recv' });
    assert.ok(recv.ok);
    const consumer = await consumeAndResume(
      bea,
      recv.transport.id,
      screen,
      await routerCapabilities(bea),
    );
    assert.equal(consumer.source, 'screen');
    const stats = await roomMedia(new Admin(two.url), roomId);
    const aliceStats = stats.participants.find((p) => p.participantId === aliceToken.participantId);
    assert.equal(aliceStats?.nodeId, 'node-1');
    assert.deepEqual(
      aliceStats?.producers.map((p) => p.source),
      ['screen'],
    );

    // The host on node 2 stops it: it closes on node 1, Alice is told, Bea's consumer goes.
    const told = alice.waitFor('media:shareStopped', () => true, 10_000);
    const gone = bea.waitFor('media:consumerClosed', (e) => e.producerId === screen, 10_000);
    const stop = await host.request('media:stopParticipantShare', {
      participantId: aliceToken.participantId,
    });
    assert.deepEqual(stop, { ok: true, producerIds: [screen] });
    assert.deepEqual(await told, { producerIds: [screen], byHost: true });
    assert.equal((await gone).consumerId, consumer.id);
  });
});
