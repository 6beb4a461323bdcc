import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JoinedResult, WaitingResult } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { useCluster } from './support/cluster.js';
import { opusRtpParameters } from './support/media.js';
import { connect, connectAndJoin, type TestClient } from './support/sockets.js';

function joinedOf(result: JoinedResult | WaitingResult | undefined): JoinedResult {
  if (result?.status !== 'joined') assert.fail(`not joined: ${JSON.stringify(result)}`);
  return result;
}

async function produceAudio(client: TestClient) {
  const transport = await client.request('media:createTransport', { direction: 'send' });
  assert.ok(transport.ok, JSON.stringify(transport));
  return client.request('media:produce', {
    transportId: transport.transport.id,
    kind: 'audio',
    rtpParameters: opusRtpParameters(),
  });
}

// Run with CONVENE_TEST_CLUSTER_RTC_BASE to choose the nodes' RTC ports.
describe('host controls across two convene processes', () => {
  const nodes = useCluster(2);
  const { track } = nodes;

  it('a hard mute and a raised hand set on one node hold on the other, also after reconnecting there', async () => {
    const [one, two] = [nodes.cluster.node(0), nodes.cluster.node(1)];
    const admin = new Admin(one.url);
    const roomId = await admin.createRoom();
    const hostToken = await admin.issueToken(roomId, 'Host', 'host');
    const aliceToken = await admin.issueToken(roomId, 'Alice');
    const host = track(await connectAndJoin(one.url, hostToken.token));
    const alice = track(await connectAndJoin(two.url, aliceToken.token));
    const aliceId = aliceToken.participantId;
    const produced = await produceAudio(alice);
    assert.ok(produced.ok);

    // The host on node 1 mutes Alice (node 2) hard: her producer there pauses, her resume is refused.
    const paused = alice.waitFor(
      'media:producerPaused',
      (e) => e.producerId === produced.producerId,
    );
    const mute = await host.request('media:muteParticipant', {
      participantId: aliceId,
      kind: 'audio',
      hard: true,
    });
    assert.ok(mute.ok, JSON.stringify(mute));
    assert.equal((await paused).byHost, true);
    await alice.waitFor('media:hostMuteChanged', (e) => e.mutedByHost.includes('audio'));
    const resume = await alice.request('media:resumeProducer', {
      producerId: produced.producerId,
    });
    assert.ok(!resume.ok);
    assert.equal(resume.error.code, 'MUTED_BY_HOST');

    // Alice raises her hand on node 2; the host on node 1 sees it.
    const raised = host.waitFor('hand:raised', (e) => e.participantId === aliceId);
    const hand = await alice.request('hand:raise', {});
    assert.ok(hand.ok);
    assert.equal((await raised).raisedAt, hand.raisedAt);

    // Her link drops; she comes back through node 1: still muted, hand still up.
    alice.close();
    await host.waitFor('participant:left', (e) => e.participantId === aliceId);
    const again = track(await connect(one.url, aliceToken.token));
    const rejoin = await again.request('room:join', {});
    assert.ok(rejoin.ok);
    const self = joinedOf(rejoin).self;
    assert.deepEqual(self.mutedByHost, ['audio']);
    assert.equal(self.handRaisedAt, hand.raisedAt);
    const refused = await produceAudio(again);
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'MUTED_BY_HOST');

    // Someone joining on node 2 sees her hand; an admin on node 2 allows her to unmute.
    const late = track(await connect(two.url, (await admin.issueToken(roomId, 'Late')).token));
    const lateJoin = await late.request('room:join', {});
    assert.ok(lateJoin.ok);
    assert.equal(
      joinedOf(lateJoin).participants.find((p) => p.participantId === aliceId)?.handRaisedAt,
      hand.raisedAt,
    );
    const allowed = again.waitFor('media:hostMuteChanged', (e) => e.mutedByHost.length === 0);
    await new Admin(two.url)
      .post(`/api/v1/rooms/${roomId}/participants/${aliceId}/allow-unmute`, { kind: 'audio' })
      .expect(200);
    await allowed;
    const sent = await produceAudio(again);
    assert.ok(sent.ok, JSON.stringify(sent));
  });
});
