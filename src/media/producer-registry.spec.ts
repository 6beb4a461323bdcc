import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { ClusterConfig } from '../config/configuration.js';
import { RedisConnection } from '../redis/redis-connection.js';
import {
  LocalProducerStore,
  type ProducerEntry,
  type ProducerStore,
  RedisProducerStore,
} from './producer-registry.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const entry = (producerId: string, nodeId: string, kind: 'audio' | 'video' = 'audio') =>
  ({ producerId, participantId: `p-${producerId}`, kind, paused: false, nodeId }) as ProducerEntry;

const byId = (entries: ProducerEntry[]) =>
  [...entries].sort((a, b) => a.producerId.localeCompare(b.producerId));

function behavesAsARegistry(name: string, open: () => Promise<ProducerStore>) {
  it(`${name}: lists, pauses and removes a room's producers; a second remove reports nothing`, async () => {
    const store = await open();
    await store.add('room-a', entry('1', 'n1'));
    await store.add('room-a', entry('2', 'n2', 'video'));
    await store.add('room-b', entry('3', 'n1'));
    await store.setPaused('room-a', '2', true);
    assert.deepEqual(byId(await store.list('room-a')), [
      entry('1', 'n1'),
      { ...entry('2', 'n2', 'video'), paused: true },
    ]);
    assert.equal((await store.find('room-b', '3'))?.nodeId, 'n1');
    assert.equal(await store.find('room-b', '1'), undefined);
    assert.equal(await store.remove('room-a', '1', 'n1'), true);
    assert.equal(await store.remove('room-a', '1', 'n1'), false);
    await store.setPaused('room-a', '1', true); // a pause racing a close does not bring it back
    assert.deepEqual(
      (await store.list('room-a')).map((e) => e.producerId),
      ['2'],
    );
  });
}

describe('producer registry', () => {
  const prefix = `convene-test:${randomBytes(4).toString('hex')}:`;
  const connections: RedisConnection[] = [];
  const redisStore = async () => {
    const connection = new RedisConnection({
      redisUrl: REDIS_URL,
      redisKeyPrefix: prefix,
      nodeId: 'spec',
    } as ClusterConfig);
    await connection.connect();
    connections.push(connection);
    return new RedisProducerStore(connection);
  };
  let cleanup: Redis;
  before(() => {
    cleanup = new Redis(REDIS_URL);
  });
  after(async () => {
    const keys = await cleanup.keys(`${prefix}*`);
    if (keys.length > 0) await cleanup.del(...keys);
    cleanup.disconnect();
    for (const c of connections) await c.onApplicationShutdown();
  });

  behavesAsARegistry('in memory', () => Promise.resolve(new LocalProducerStore()));
  behavesAsARegistry('in Redis', redisStore);

  it("in Redis: a dead node's entries go to exactly one of the nodes removing them at once; a live node's stay", async () => {
    const stores = await Promise.all([redisStore(), redisStore(), redisStore()]);
    const [first] = stores;
    for (let i = 0; i < 20; i++) await first.add(`room-${i % 3}`, entry(`dead-${i}`, 'dead'));
    await first.add('room-0', entry('alive', 'alive'));
    const results = await Promise.all(stores.map((s) => s.removeNode('dead')));
    const removed = results.flat();
    assert.equal(removed.length, 20);
    assert.equal(new Set(removed.map((r) => r.entry.producerId)).size, 20);
    assert.ok(removed.every((r) => r.roomId === `room-${Number(r.entry.producerId.slice(5)) % 3}`));
    assert.equal(results.filter((r) => r.length > 0).length, 1, 'one node got them all');
    assert.deepEqual(
      (await first.list('room-0')).map((e) => e.producerId),
      ['alive'],
    );
    assert.deepEqual(await first.removeNode('dead'), []);
  });
});
