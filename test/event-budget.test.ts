import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventBudget } from '../src/common/event-budget.js';
import { startApp, type TestApp } from './support/app.js';
import { useRooms } from './support/room.js';
import { sleep } from './support/sockets.js';

describe('EventBudget', () => {
  it('allows a burst, then the sustained rate, refilling with time', () => {
    let now = 0;
    const budget = new EventBudget(10, 5, () => now);
    const burst = Array.from({ length: 8 }, () => budget.tryTake());
    assert.deepEqual(burst, [true, true, true, true, true, false, false, false]);
    now += 250; // 2.5 tokens at 10/s
    assert.deepEqual([budget.tryTake(), budget.tryTake(), budget.tryTake()], [true, true, false]);
    now += 60_000; // refills to the burst, not beyond
    assert.equal(Array.from({ length: 10 }, () => budget.tryTake()).filter(Boolean).length, 5);
  });
});

describe('per-connection socket event budget', () => {
  let t: TestApp;
  before(async () => {
    t = await startApp({
      CONVENE_WS_EVENTS_PER_SECOND: '20',
      CONVENE_WS_EVENT_BURST: '40',
      CONVENE_CHAT_RATE_LIMIT_PER_10S: '10000',
    });
  });
  after(async () => {
    await t?.close();
  });
  const rooms = useRooms(() => t);

  it('a connection flooding chat:history is refused with RATE_LIMITED by itself; the others go on, and it recovers once it slows down', async () => {
    const room = await rooms.create();
    const flooder = await room.join('Mallory');
    const ada = await room.join('Ada');
    const grace = await room.join('Grace');

    const flood = await Promise.all(
      Array.from({ length: 300 }, () => flooder.client.request('chat:history', { limit: 200 })),
    );
    const refused = flood.filter((a) => !a.ok);
    assert.ok(refused.length >= 250, `only ${refused.length} of 300 refused`);
    for (const ack of refused) assert.equal(!ack.ok && ack.error.code, 'RATE_LIMITED');
    assert.ok(flood.filter((a) => a.ok).length <= 45, 'more than the burst was served');

    // Meanwhile everyone else's budget is their own.
    const received = new Promise((resolve) => grace.client.socket.once('chat:message', resolve));
    await ada.say('still here');
    await received;

    await sleep(300); // 6 tokens at 20/s
    const later = await flooder.client.request('chat:history', { limit: 10 });
    assert.equal(later.ok, true);
  });
});
