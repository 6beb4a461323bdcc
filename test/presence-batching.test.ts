import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PresenceChange } from '../src/protocol/events.js';
import { startApp, type TestApp } from './support/app.js';
import { TestCluster } from './support/cluster.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { sleep, type TestClient } from './support/sockets.js';

// Joins and leaves in a large room are announced in batches (src/rooms/presence-announcer.ts):
// with CONVENE_PRESENCE_BATCH_ABOVE=3, a room of more than 3 gets one `participants:changed` per
// CONVENE_PRESENCE_BATCH_MS, in order, instead of one event per join.
const BATCH_MS = 300;
const ENV = {
  CONVENE_PRESENCE_BATCH_ABOVE: '3',
  CONVENE_PRESENCE_BATCH_MS: String(BATCH_MS),
};

/** What a client was told of joins and leaves, one entry per change, in the order received. */
function presenceSeen(client: TestClient): string[] {
  const describe = (c: PresenceChange) =>
    c.type === 'joined' ? `+${c.participant.displayName}` : `-${c.participantId}`;
  return client.received.flatMap(({ event, payload }) => {
    if (event === 'participant:joined')
      return [`+${(payload as { displayName: string }).displayName} (alone)`];
    if (event === 'participant:left')
      return [`-${(payload as { participantId: string }).participantId} (alone)`];
    if (event === 'participants:changed')
      return (payload as { changes: PresenceChange[] }).changes.map(describe);
    return [];
  });
}

const batches = (client: TestClient) => client.events('participants:changed');

describe('presence announcements in large rooms', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp(ENV);
  });
  const rooms = useRooms(() => t);
  after(() => t.close());

  it('a small room hears each join at once; past the threshold, joins and leaves come in one ordered batch', async () => {
    const room = await rooms.create();
    const ada = await room.join('Ada', 'host');
    await room.join('Bob');
    await room.join('Cy');
    // Up to 3 participants: one event each, at once.
    assert.deepEqual(presenceSeen(ada.client), ['+Bob (alone)', '+Cy (alone)']);

    const dee = await room.join('Dee');
    const eve = await room.join('Eve');
    const left = await dee.client.request('room:leave', {});
    assert.ok(left.ok);
    // Nothing yet: the batch waits for its interval.
    assert.equal(batches(ada.client).length, 0);
    await eventually(() => batches(ada.client).length >= 1, 'batch 1 at ada.client');
    assert.deepEqual(presenceSeen(ada.client).slice(2), ['+Dee', '+Eve', `-${dee.participantId}`]);
    const [batch] = batches(ada.client);
    assert.deepEqual(batch.changes.at(-1), {
      type: 'left',
      participantId: dee.participantId,
      reason: 'left',
    });
    // Eve joined during the interval: her ack listed Dee, and the batch names her too.
    const eveAck = eve.joined;
    assert.ok(eveAck?.status === 'joined');
    assert.ok(eveAck.participants.some((p) => p.participantId === dee.participantId));
    await eventually(() => batches(eve.client).length >= 1, 'batch 1 at eve.client');

    // Back at 3 after Eve leaves (4 before: batched); then Cy's leave, at 2, is told at once.
    await eve.client.request('room:leave', {});
    await eventually(() => batches(ada.client).length >= 2, 'batch 2 at ada.client');
    assert.deepEqual(batches(ada.client)[1].changes, [
      { type: 'left', participantId: eve.participantId, reason: 'left' },
    ]);
    const cy = room.person('Cy');
    await cy.client.request('room:leave', {});
    const alone = await ada.client.waitFor('participant:left');
    assert.deepEqual(alone, { participantId: cy.participantId, reason: 'left' });
    assert.equal(batches(ada.client).length, 2);
  });

  it('a change in a room with a batch waiting joins that batch, so nothing overtakes it', async () => {
    const room = await rooms.create();
    const ada = await room.join('Ada', 'host');
    for (const name of ['Bob', 'Cy', 'Dee']) await room.join(name);
    // Dee's join (the 4th) started a batch; Dee leaves and the room is at 3 again, which alone
    // would be told at once, but Dee's join is still waiting: it must not arrive after.
    const dee = room.person('Dee');
    await dee.client.request('room:leave', {});
    await eventually(() => batches(ada.client).length >= 1, 'batch 1 at ada.client');
    assert.deepEqual(presenceSeen(ada.client).slice(2), ['+Dee', `-${dee.participantId}`]);
    await sleep(BATCH_MS);
    assert.equal(ada.client.events('participant:left').length, 0);
  });
});

describe('presence batches across nodes', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start(2, ENV);
  });
  const rooms = useRooms(() => cluster.node(0));
  after(async () => {
    await cluster?.close();
  });

  it('a batch of joins on one node reaches the room on the other', async () => {
    const room = await rooms.create();
    const ada = await room.join('Ada', 'host');
    for (const name of ['Bob', 'Cy']) await room.join(name);
    const other = { url: cluster.node(1).url };
    await room.join('Dee', undefined, other);
    await room.join('Eve', undefined, other);
    await eventually(() => batches(ada.client).length >= 1, 'batch 1 at ada.client');
    assert.deepEqual(presenceSeen(ada.client), ['+Bob (alone)', '+Cy (alone)', '+Dee', '+Eve']);
  });
});
