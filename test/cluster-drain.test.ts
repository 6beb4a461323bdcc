import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../src/protocol/error-codes.js';
import type { ChatMessage, JoinedResult } from '../src/protocol/events.js';
import { TestCluster } from './support/cluster.js';
import { ClusterRoom, privateTexts, sendOk } from './support/cluster-room.js';
import { connectError } from './support/sockets.js';
import { useRooms } from './support/room.js';
import { TRAFFIC_ENV } from './support/app.js';

// Graceful drain with real processes: SIGTERM turns readiness off at once, refuses new joins and
// connections (SERVER_DRAINING), tells every connection to move (`server:draining`), ends those
// that stay, waits up to CONVENE_DRAIN_SECONDS, then closes and exits 0.

const DRAIN_SECONDS = 10;
/** Closing (media workers, Redis, the database pool) after the drain, on a loaded machine. */
const CLOSE_MARGIN_MS = 15_000;

const readiness = async (url: string) => {
  const res = await fetch(`${url}/health/ready`);
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { code: string; message: string };
      details?: Record<string, { status: string }>;
    },
  };
};

describe('a node draining on SIGTERM, alone', () => {
  let cluster: TestCluster;
  const rooms = useRooms(() => cluster.node(0));

  before(async () => {
    cluster = await TestCluster.start(1, { CONVENE_DRAIN_SECONDS: String(DRAIN_SECONDS) });
  });
  after(async () => {
    await cluster?.close();
  });

  it('turns readiness off at once, refuses new joins and connections with SERVER_DRAINING, tells its clients, ends those that stay and exits 0 within CONVENE_DRAIN_SECONDS', async () => {
    const r = await ClusterRoom.create(cluster, rooms);
    const ann = await r.person(0, 'Ann', { role: 'host' });
    // On the pre-join screen: connected, not joined yet.
    const bob = await r.person(0, 'Bob', { join: false });
    const late = await r.admin(0).issueToken(r.roomId, 'Late');
    const node = cluster.node(0);
    assert.equal((await readiness(node.url)).status, 200);

    const sentAt = Date.now();
    node.terminate();
    const draining = await ann.client.waitFor('server:draining', undefined, 10_000);
    await bob.client.waitFor('server:draining');
    assert.ok(draining.reconnectInMs > 0 && draining.reconnectInMs <= draining.closesInMs);
    assert.ok(draining.closesInMs <= (DRAIN_SECONDS * 1000) / 2, String(draining.closesInMs));

    // Readiness was off before anyone was told: no wait, no retry.
    const ready = await readiness(node.url);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.error?.code, ErrorCode.SERVICE_UNAVAILABLE);
    assert.equal(ready.body.details?.drain?.status, 'down');
    assert.equal((await fetch(`${node.url}/health/live`)).status, 200);

    const join = await bob.client.request('room:join', {});
    assert.equal(join.ok, false);
    assert.equal(!join.ok && join.error.code, ErrorCode.SERVER_DRAINING);
    assert.equal(await connectError(node.url, late.token), ErrorCode.SERVER_DRAINING);
    // Someone still here may still talk until the server ends the connection.
    await sendOk(ann, { kind: 'public', text: 'still here while draining' });

    // Neither client moves: the server ends both connections itself, saying why.
    for (const client of [ann.client, bob.client]) {
      const ended = await client.waitFor('session:ended', undefined, 10_000);
      assert.equal(ended.reason, 'server-shutdown');
      assert.equal(ended.code, ErrorCode.SERVER_DRAINING);
      await client.waitForDisconnect(5_000);
    }
    const exit = await node.exit(DRAIN_SECONDS * 1000 + CLOSE_MARGIN_MS);
    const tookMs = Date.now() - sentAt;
    console.log(`# SIGTERM to exit: ${tookMs} ms (CONVENE_DRAIN_SECONDS ${DRAIN_SECONDS})`);
    assert.deepEqual(exit, { code: 0, signal: null }, node.log());
    assert.match(node.log(), /"outcome":"done"/, 'the drain ended when the connections had gone');
    // The message sent while draining was committed before its ack.
    const stored = await cluster.db.query<{ text: string }>(
      'SELECT text FROM chat_messages WHERE room_id = $1',
      [r.roomId],
    );
    assert.deepEqual(
      stored.map((row) => row.text),
      ['still here while draining'],
    );
  });

  it('a second SIGTERM stops waiting for the drain and still exits 0', async () => {
    const node = cluster.node(0);
    node.env.CONVENE_DRAIN_SECONDS = '600';
    await node.start();
    const r = await ClusterRoom.create(cluster, rooms);
    const cem = await r.person(0, 'Cem');
    node.terminate();
    await cem.client.waitFor('server:draining', undefined, 10_000);
    node.terminate();
    const exit = await node.exit(CLOSE_MARGIN_MS + 10_000);
    assert.deepEqual(exit, { code: 0, signal: null }, node.log());
    assert.match(node.log(), /"outcome":"cut short"/);
  });
});

describe('a rolling update across two nodes', () => {
  let cluster: TestCluster;
  const rooms = useRooms(() => cluster.node(1));

  before(async () => {
    cluster = await TestCluster.start(2, {
      CONVENE_DRAIN_SECONDS: String(DRAIN_SECONDS),
      ...TRAFFIC_ENV,
    });
  });
  after(async () => {
    await cluster?.close();
  });

  it('a participant on the draining node moves, as a load balancer sends her, to the same room on the other node, keeping all her chat; nobody else gets her private messages', async () => {
    const r = await ClusterRoom.create(cluster, rooms);
    const hana = await r.person(1, 'Hana', { role: 'host' });
    const cem = await r.person(1, 'Cem');
    const bea = await r.person(0, 'Bea'); // on the node that is replaced
    const acked: ChatMessage[] = [];
    const say = async (...args: Parameters<typeof sendOk>) => {
      const message = await sendOk(...args);
      acked.push(message);
      return message;
    };
    await say(bea, { kind: 'private', to: hana.participantId, text: 'before, to Hana' });
    await say(hana, { kind: 'private', to: bea.participantId, text: 'before, to Bea' });
    await say(bea, { kind: 'public', text: 'before, to all' });

    const draining = cluster.node(0);
    // A message in flight as the SIGTERM arrives is committed and acknowledged.
    const inFlight = say(bea, { kind: 'private', to: hana.participantId, text: 'in flight' });
    draining.terminate();
    const notice = await bea.client.waitFor('server:draining', undefined, 10_000);
    await inFlight;
    assert.equal(
      await connectError(draining.url, bea.token),
      ErrorCode.SERVER_DRAINING,
      'the draining node takes no new connection',
    );
    // What the web client does: close the link, open it again at the same address, where the
    // load balancer (no longer sending anyone to the draining node) picks the other node.
    bea.client.close();
    assert.ok(notice.reconnectInMs > 0);
    const beaAgain = await r.connect(1, bea.token, { join: false });
    const join = await beaAgain.request('room:join', {});
    assert.ok(join.ok, JSON.stringify(join));
    const joined = join as { ok: true } & JoinedResult;
    assert.equal(joined.status, 'joined');
    assert.equal(joined.room.id, r.roomId);
    assert.deepEqual(joined.participants.map((p) => p.displayName).sort(), ['Bea', 'Cem', 'Hana']);

    // Her chat is all there: history reloads what she sent and received before the move.
    const history = await beaAgain.request('chat:history', {});
    assert.ok(history.ok);
    assert.deepEqual(history.ok && history.messages.map((m) => m.text), [
      'before, to Hana',
      'before, to Bea',
      'before, to all',
      'in flight',
    ]);
    // And she carries on, privately, each way.
    await say(beaAgain, { kind: 'private', to: hana.participantId, text: 'after, to Hana' });
    await hana.client.waitFor('chat:message', (m) => m.text === 'after, to Hana');
    await say(hana, { kind: 'private', to: bea.participantId, text: 'after, to Bea' });
    await beaAgain.waitFor('chat:message', (m) => m.text === 'after, to Bea');

    const exit = await draining.exit(DRAIN_SECONDS * 1000 + CLOSE_MARGIN_MS);
    assert.deepEqual(exit, { code: 0, signal: null }, draining.log());

    // Hana saw Bea leave and come back (or be replaced): she is present, once, on the live node.
    const seen = hana.client.received
      .filter(
        (e) =>
          (e.event === 'participant:left' || e.event === 'participant:joined') &&
          (e.payload as { participantId: string }).participantId === bea.participantId,
      )
      .map((e) => e.event);
    console.log(`# Hana saw, about Bea: ${seen.join(', ') || 'nothing (replaced)'}`);
    assert.ok(seen.length === 0 || seen.at(-1) === 'participant:joined', seen.join(', '));
    assert.deepEqual(
      await r.live(1),
      [bea.participantId, cem.participantId, hana.participantId].sort(),
    );
    assert.ok(hana.client.socket.connected && cem.client.socket.connected);
    assert.equal(hana.client.events('server:draining').length, 0);

    // No private message reached Cem, before, during or after the move.
    assert.deepEqual(privateTexts(cem.client), []);
    // Everything acknowledged is in the audit trail, once, and the chain holds.
    const stored = await r.audited(1);
    assert.deepEqual(acked.map((m) => m.id).sort(), stored.map((m) => m.id).sort());
    const verify = await r.admin(1).get(`/api/v1/rooms/${r.roomId}/messages/verify`).expect(200);
    assert.equal(verify.body.valid, true);
  });
});
