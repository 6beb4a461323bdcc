import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { RoomRouters } from '../src/media/room-routers.js';
import type { RoomMediaStats } from '../src/protocol/events.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { TestCluster } from './support/cluster.js';
import { eventually, MEDIA_TEST_ENV, roomMedia } from './support/media.js';
import { BrowserParticipant, bundleMediaPage, launchChromium } from './support/media-browser.js';
import { connectAndJoin, type TestClient } from './support/sockets.js';

/** A participant in Chromium (fake camera and microphone) joined through `url`. */
async function participant(
  browser: Browser,
  script: string,
  admin: Admin,
  url: string,
  roomId: string,
  name: string,
): Promise<{ socket: TestClient; page: BrowserParticipant; participantId: string }> {
  const issued = await admin.issueToken(roomId, name);
  const socket = await connectAndJoin(url, issued.token);
  const page = await BrowserParticipant.open(browser, script, socket);
  await page.call('start');
  return { socket, page, participantId: issued.participantId };
}

/** The page's inbound packets per kind, once every consumer has received more than `atLeast`. */
function receiving(page: BrowserParticipant, kinds: number, atLeast = 0) {
  return eventually(
    async () => {
      const inbound = await page.call('inbound');
      return inbound.length === kinds && inbound.every((s) => s.packetsReceived > atLeast)
        ? inbound
        : undefined;
    },
    `${kinds} inbound streams with more than ${atLeast} packets`,
    30_000,
  );
}

/** Every node's pipes of the room, sorted by node. */
const pipesOf = (stats: RoomMediaStats) =>
  stats.nodes
    .flatMap((n) => n.pipes.map((p) => ({ nodeId: n.nodeId, ...p })))
    .sort((x, y) => x.nodeId.localeCompare(y.nodeId));

const totalPackets = (inbound: { packetsReceived: number }[]) =>
  inbound.reduce((n, s) => n + s.packetsReceived, 0);

describe('media across two convene processes', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let script: string;
  before(async () => {
    [cluster, script, browser] = await Promise.all([
      // The default grace keeps routers through leaves: pipes close for their own reasons.
      TestCluster.start(2),
      bundleMediaPage(),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await cluster?.close();
  });

  it('a participant on node 2 receives the camera and microphone of a participant on node 1, and their consumers close with the producers', async () => {
    const [one, two] = [cluster.node(0), cluster.node(1)];
    const admin = new Admin(one.url);
    const roomId = await admin.createRoom();
    const alice = await participant(browser, script, admin, one.url, roomId, 'Alice');
    const bea = await participant(browser, script, admin, two.url, roomId, 'Bea');
    const produced = await alice.page.call('sendCameraAndMicrophone');

    // Bea's node lists Alice's producers although they live on node 1.
    const listed = await bea.socket.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(listed.producers.map((p) => p.producerId).sort(), [...produced].sort());
    for (const p of listed.producers) assert.equal(p.participantId, alice.participantId);

    for (const producerId of produced) await bea.page.call('receive', producerId);
    const first = await receiving(bea.page, 2);
    const later = await receiving(bea.page, 2, Math.max(...first.map((s) => s.packetsReceived)));
    assert.ok(totalPackets(later) > totalPackets(first), 'inbound packets grow');

    // The admin API on node 2 sees both nodes' parts: Alice's producers (node 1), Bea's consumers (node 2).
    const stats = await roomMedia(new Admin(two.url), roomId);
    const aliceStats = stats.participants.find((p) => p.participantId === alice.participantId);
    const beaStats = stats.participants.find((p) => p.participantId === bea.participantId);
    assert.equal(aliceStats?.nodeId, 'node-1');
    assert.equal(aliceStats?.producers.length, 2);
    assert.equal(beaStats?.nodeId, 'node-2');
    assert.equal(beaStats?.consumers.length, 2);

    // A mute from node 2's admin API pauses the producer on node 1; everyone is told.
    const muted = await new Admin(two.url)
      .post(`/api/v1/rooms/${roomId}/participants/${alice.participantId}/mute`, { kind: 'audio' })
      .expect(200);
    const [audioId] = (muted.body as { producerIds: string[] }).producerIds;
    assert.ok(audioId && produced.includes(audioId));
    await bea.socket.waitFor('media:producerPaused', (e) => e.producerId === audioId, 10_000);

    // Alice unmutes herself on node 1: the copy on node 2 resumes, and Bea hears her again.
    const audioNow = async () =>
      (await bea.page.call('inbound')).find((x) => x.kind === 'audio')?.packetsReceived ?? 0;
    const resumed = await alice.socket.request('media:resumeProducer', { producerId: audioId });
    assert.ok(resumed.ok);
    await bea.socket.waitFor('media:producerResumed', (e) => e.producerId === audioId, 10_000);
    const base = await audioNow();
    await eventually(async () => (await audioNow()) > base + 10, 'audio flowing again', 20_000);

    // One pipe pair carries both producers: in on node 2, out on node 1.
    assert.deepEqual(pipesOf(stats), [
      { nodeId: 'node-1', direction: 'out', peer: 'node-2', producers: 2 },
      { nodeId: 'node-2', direction: 'in', peer: 'node-1', producers: 2 },
    ]);

    // Bea, node 2's last consumer of them, leaves: the pipes close on both nodes.
    assert.ok((await bea.socket.request('room:leave', {})).ok);
    await eventually(
      async () => pipesOf(await roomMedia(admin, roomId)).length === 0,
      'the pipes closed after the last consumer left',
    );

    // Cleo joins node 2 and consumes: a new pair, media flows again.
    const cleo = await participant(browser, script, admin, two.url, roomId, 'Cleo');
    for (const producerId of produced) await cleo.page.call('receive', producerId);
    await receiving(cleo.page, 2);

    // Alice stops sending: Cleo's consumers on node 2 close.
    for (const producerId of produced) {
      const ack = await alice.socket.request('media:closeProducer', { producerId });
      assert.ok(ack.ok);
    }
    for (const producerId of produced) {
      await cleo.socket.waitFor('media:consumerClosed', (e) => e.producerId === producerId, 10_000);
      await cleo.socket.waitFor('media:producerClosed', (e) => e.producerId === producerId, 10_000);
    }
    const after = await cleo.socket.request('media:listProducers', {});
    assert.ok(after.ok);
    assert.deepEqual(after.producers, []);
    await eventually(
      async () => pipesOf(await roomMedia(admin, roomId)).length === 0,
      'the pipes closed with the producers',
    );
    for (const p of [alice, bea, cleo]) await p.page.page.close();
  });

  it('when node 1 is SIGKILLed, participants on node 2 are told that its producers closed and their consumers of them close', async () => {
    const [one, two] = [cluster.node(0), cluster.node(1)];
    const admin = new Admin(two.url);
    const roomId = await admin.createRoom();
    const alice = await participant(browser, script, admin, one.url, roomId, 'Alice');
    const bea = await participant(browser, script, admin, two.url, roomId, 'Bea');
    const produced = await alice.page.call('sendCameraAndMicrophone');
    for (const producerId of produced) await bea.page.call('receive', producerId);
    await receiving(bea.page, 2);

    await one.kill();
    for (const producerId of produced) {
      await bea.socket.waitFor('media:producerClosed', (e) => e.producerId === producerId, 20_000);
      await bea.socket.waitFor('media:consumerClosed', (e) => e.producerId === producerId, 20_000);
    }
    for (const producerId of produced)
      assert.equal(
        bea.socket.events('media:producerClosed').filter((e) => e.producerId === producerId).length,
        1,
        'announced once',
      );
    const listed = await bea.socket.request('media:listProducers', {});
    assert.ok(listed.ok);
    assert.deepEqual(listed.producers, []);
  });
});

describe('media: one room spread over two workers of one node', () => {
  let t: TestApp;
  let browser: Browser;
  let script: string;
  before(async () => {
    [t, script, browser] = await Promise.all([
      // Each browser participant creates two transports: the second one's go to another worker.
      startApp({ ...MEDIA_TEST_ENV, CONVENE_MEDIA_ROUTER_MAX_TRANSPORTS: '2' }),
      bundleMediaPage(),
      launchChromium(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('participants on routers of different workers receive each other', async () => {
    const admin = new Admin(t.url);
    const roomId = await admin.createRoom();
    const alice = await participant(browser, script, admin, t.url, roomId, 'Alice');
    const bea = await participant(browser, script, admin, t.url, roomId, 'Bea');
    const routers = t.app.get(RoomRouters).routersOf(roomId);
    assert.equal(routers.length, 2);
    assert.notEqual(routers[0].worker.worker.pid, routers[1].worker.worker.pid);
    assert.deepEqual(
      routers.map((r) => r.transports),
      [2, 2],
    );

    const fromAlice = await alice.page.call('sendCameraAndMicrophone');
    const fromBea = await bea.page.call('sendCameraAndMicrophone');
    for (const producerId of fromAlice) await bea.page.call('receive', producerId);
    for (const producerId of fromBea) await alice.page.call('receive', producerId);
    const [a, b] = await Promise.all([receiving(alice.page, 2), receiving(bea.page, 2)]);
    await Promise.all([
      receiving(alice.page, 2, Math.max(...a.map((s) => s.packetsReceived))),
      receiving(bea.page, 2, Math.max(...b.map((s) => s.packetsReceived))),
    ]);

    // The SFU forwards on both routers: each participant's consumers send packets.
    const stats = await roomMedia(admin, roomId);
    for (const p of stats.participants) {
      assert.equal(p.consumers.length, 2);
      assert.ok(p.consumers.every((c) => c.packetCount > 0));
    }

    // A producer closing on one worker closes its piped copy and the consumer on the other.
    const ack = await alice.socket.request('media:closeProducer', { producerId: fromAlice[0] });
    assert.ok(ack.ok);
    await bea.socket.waitFor('media:consumerClosed', (e) => e.producerId === fromAlice[0], 10_000);
  });
});
