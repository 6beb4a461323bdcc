import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type TestApp } from './support/app.js';
import { useRooms } from './support/room.js';
import { sleep } from './support/sockets.js';

// Found by the routing model (src/conference/routing.pml, -DCONCURRENT_TURNS): a connection's
// room:join and room:leave ran interleaved, so a leave sent right after a join could finish
// while the join was still reading the database, and the join then put the connection back in
// the room although the last thing it asked was to leave.
describe('a connection’s session requests take effect in the order it sent them', () => {
  let t: TestApp;
  before(async () => (t = await startApp()));
  const rooms = useRooms(() => t);
  after(() => t.close());

  const liveIds = async (roomId: string): Promise<string[]> => {
    const live = await rooms.admin.get(`/api/v1/rooms/${roomId}/participants`).expect(200);
    return (live.body as { participantId: string }[]).map((p) => p.participantId);
  };

  it('a room:leave sent right after room:join leaves the room, and nothing reaches the connection afterwards', async () => {
    const room = await rooms.create();
    const watcher = await room.join('Watcher');
    const lea = await room.connect('Lea');
    const [joined, left] = await Promise.all([
      lea.client.request('room:join', {}),
      lea.client.request('room:leave', {}),
    ]);
    assert.ok(joined.ok && joined.status === 'joined', 'the join succeeded');
    assert.ok(left.ok, 'the leave succeeded');
    assert.deepEqual(await liveIds(room.id), [watcher.participantId]);
    // The room saw Lea join, then leave (before, the leave found nobody and went unannounced).
    const seen = watcher.client.received
      .filter(({ event }) => event === 'participant:joined' || event === 'participant:left')
      .filter(
        ({ payload }) => (payload as { participantId: string }).participantId === lea.participantId,
      )
      .map(({ event }) => event);
    assert.deepEqual(seen, ['participant:joined', 'participant:left']);

    await watcher.say('after Lea left');
    await sleep(100);
    assert.ok(lea.client.socket.connected);
    assert.deepEqual(lea.client.events('chat:message'), []);
  });

  it('a join, a leave and a join again, sent at once, end joined', async () => {
    const room = await rooms.create();
    const max = await room.connect('Max');
    const acks = await Promise.all([
      max.client.request('room:join', {}),
      max.client.request('room:leave', {}),
      max.client.request('room:join', {}),
    ]);
    assert.ok(acks.every((ack) => ack.ok));
    assert.deepEqual(await liveIds(room.id), [max.participantId]);
  });
});
