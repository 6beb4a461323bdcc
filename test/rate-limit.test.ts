import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  type ConnectionSlots,
  InMemoryConnectionSlots,
} from '../src/rate-limit/connection-slots.js';
import { InMemoryRateLimitStore } from '../src/rate-limit/in-memory-rate-limit.store.js';
import type { RateLimitStore } from '../src/rate-limit/rate-limit.store.js';
import { RedisConnectionSlots } from '../src/rate-limit/redis-connection-slots.js';
import { RedisRateLimitStore } from '../src/rate-limit/redis-rate-limit.store.js';
import { Admin } from './support/admin.js';
import { startApp, type TestApp } from './support/app.js';
import { eventually } from './support/eventually.js';
import { useRooms } from './support/room.js';
import { connect, connectError, sleep } from './support/sockets.js';

// The Redis every session and CI machine runs; REDIS_URL points elsewhere if needed.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisClient(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  return client;
}

function storeContract(
  name: string,
  makeStore: () => Promise<{ store: RateLimitStore; close?: () => void }>,
) {
  describe(`rate-limit store: ${name}`, () => {
    let store: RateLimitStore;
    let close: (() => void) | undefined;
    before(async () => {
      ({ store, close } = await makeStore());
    });
    after(() => close?.());

    it('counts hits per key within a window, and peek does not count', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      assert.deepEqual(
        (await Promise.all([1, 2, 3].map(() => store.hit(a, 60_000)))).map((w) => w.count).sort(),
        [1, 2, 3],
      );
      assert.equal((await store.peek(a)).count, 3);
      assert.equal((await store.peek(a)).count, 3);
      assert.equal((await store.hit(b, 60_000)).count, 1);
      const { resetInMs } = await store.peek(a);
      assert.ok(resetInMs > 50_000 && resetInMs <= 60_000, `resetInMs ${resetInMs}`);
      assert.deepEqual(await store.peek(randomUUID()), { count: 0, resetInMs: 0 });
    });

    it('starts a new window when the old one ends', async () => {
      const key = randomUUID();
      await store.hit(key, 150);
      await store.hit(key, 150);
      await sleep(250);
      assert.equal((await store.peek(key)).count, 0);
      assert.equal((await store.hit(key, 150)).count, 1);
    });
  });
}

storeContract('in memory', () => Promise.resolve({ store: new InMemoryRateLimitStore() }));
storeContract('Redis', async () => {
  const client = await redisClient();
  return {
    store: new RedisRateLimitStore(client, `test-${randomUUID()}:`),
    close: () => client.disconnect(),
  };
});

function slotsContract(name: string, makeSlots: () => Promise<ConnectionSlots>) {
  describe(`connection slots: ${name}`, () => {
    it('counts a connection under all its keys or none; releasing twice frees it once', async () => {
      const slots = await makeSlots();
      const [address, p1, p2, p3, p4] = [1, 2, 3, 4, 5].map(() => randomUUID());
      const limits = (participant: string) => [
        { key: participant, max: 1 },
        { key: address, max: 2 },
      ];
      assert.deepEqual(await slots.acquire('c1', limits(p1)), { ok: true });
      assert.deepEqual(await slots.acquire('c2', limits(p1)), { ok: false, full: p1 });
      // c2 was not counted under the address either: c3 still fits.
      assert.deepEqual(await slots.acquire('c3', limits(p2)), { ok: true });
      assert.deepEqual(await slots.acquire('c4', limits(p3)), { ok: false, full: address });
      await slots.release('c1');
      await slots.release('c1');
      assert.deepEqual(await slots.acquire('c4', limits(p3)), { ok: true });
      assert.deepEqual(await slots.acquire('c5', limits(p4)), { ok: false, full: address });
      for (const id of ['c3', 'c4']) await slots.release(id);
    });
  });
}

slotsContract('in memory', () => Promise.resolve(new InMemoryConnectionSlots()));

describe('connection slots in Redis: leases', () => {
  let client: Redis;
  const nodes: RedisConnectionSlots[] = [];
  const node = (prefix: string, renewEveryMs: number) => {
    const slots = new RedisConnectionSlots(client, prefix, { leaseMs: 300, renewEveryMs });
    nodes.push(slots);
    return slots;
  };
  before(async () => {
    client = await redisClient();
  });
  after(() => {
    nodes.forEach((n) => n.onApplicationShutdown());
    client.disconnect();
  });

  slotsContract('Redis', () => Promise.resolve(node(`test-${randomUUID()}:`, 100)));

  it("a node that stops renewing (it died) frees its connections when their leases end; a live node's stay", async () => {
    const prefix = `test-${randomUUID()}:`;
    const [live, dead] = [node(prefix, 100), node(prefix, 60_000)];
    const limit = [{ key: 'k', max: 1 }];
    assert.ok((await dead.acquire('on-dead-node', limit)).ok);
    assert.deepEqual(await live.acquire('on-live-node', limit), { ok: false, full: 'k' });
    await sleep(450);
    assert.deepEqual(await live.acquire('on-live-node', limit), { ok: true });
    await sleep(600);
    assert.deepEqual(await dead.acquire('another', limit), { ok: false, full: 'k' });
  });
});

describe('rate-limit store: Redis, shared and failing', () => {
  let client: Redis;
  before(async () => {
    client = await redisClient();
  });
  after(() => client.disconnect());

  it('two nodes with the same prefix share one count; another prefix does not', async () => {
    const prefix = `test-${randomUUID()}:`;
    const [nodeA, nodeB] = [prefix, prefix].map((p) => new RedisRateLimitStore(client, p));
    const other = new RedisRateLimitStore(client, `test-${randomUUID()}:`);
    await nodeA.hit('k', 60_000);
    await nodeB.hit('k', 60_000);
    assert.equal((await nodeA.hit('k', 60_000)).count, 3);
    assert.equal((await other.peek('k')).count, 0);
  });

  it('fails open when Redis does not answer: the request is not refused and nothing hangs', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const store = new RedisRateLimitStore(down, 'test:');
    for (let i = 0; i < 3; i++) assert.equal((await store.hit('k', 1000)).count, 0);
    assert.equal((await store.peek('k')).count, 0);
    down.disconnect();
  });
});

/**
 * Two nodes of one deployment: the same Redis (a fresh key prefix) and the same database. Their
 * settings are removed from the environment afterwards, so later apps in this file do not inherit them.
 */
async function startTwoNodes(
  env: Record<string, string>,
): Promise<{ a: TestApp; b: TestApp; close(): Promise<void> }> {
  const shared = { REDIS_URL, CONVENE_REDIS_KEY_PREFIX: `test-${randomUUID()}:`, ...env };
  const a = await startApp(shared);
  // The second node uses the first one's database, as two pods of one deployment do.
  const b = await startApp({ ...shared, DATABASE_URL: a.db.url });
  return {
    a,
    b,
    async close() {
      for (const name of Object.keys(shared)) delete process.env[name];
      await b.close();
      await a.close();
    },
  };
}

describe('rate limits across two nodes sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let nodes: Awaited<ReturnType<typeof startTwoNodes>> | undefined;
  before(async () => {
    nodes = await startTwoNodes({ CONVENE_ADMIN_RATE_LIMIT_PER_MINUTE: '10' });
    ({ a, b } = nodes);
  });
  const rooms = useRooms(() => a);
  after(async () => {
    await nodes?.close();
  });

  it('token guessing spread over both nodes is blocked on both, while a valid token still connects', async () => {
    const [adminA, adminB] = [new Admin(a.url), new Admin(b.url)];
    const room = await rooms.create(); // admin hit 1 (node A)
    const valid = await room.issue('Alice'); // admin hit 2 (node A)
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      codes.push(await connectError(i % 2 ? b.url : a.url, `bad.token.${i}`));
    }
    assert.deepEqual(new Set(codes), new Set(['TOKEN_INVALID']));
    assert.equal(await connectError(a.url, 'bad.token.a'), 'RATE_LIMITED');
    assert.equal(await connectError(b.url, 'bad.token.b'), 'RATE_LIMITED');
    // Only failures are refused: the person with a valid token, behind the same address, joins.
    for (const url of [a.url, b.url]) {
      const client = await rooms.connectAndJoin(valid.token, { url });
      assert.ok(client.socket.connected);
      client.close();
    }

    // The admin API limit (10 a minute) is one budget for both nodes.
    for (let i = 0; i < 4; i++) await adminA.get('/api/v1/rooms').expect(200); // hits 3..6
    for (let i = 0; i < 4; i++) await adminB.get('/api/v1/rooms').expect(200); // hits 7..10
    const refused = await adminB.get('/api/v1/rooms').expect(429);
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 40 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    await adminA.get('/api/v1/rooms').expect(429);
  });
});

describe('connection caps across two nodes sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let nodes: Awaited<ReturnType<typeof startTwoNodes>> | undefined;
  before(async () => {
    nodes = await startTwoNodes({
      CONVENE_MAX_CONNECTIONS_PER_PARTICIPANT: '2',
      CONVENE_MAX_CONNECTIONS_PER_ADDRESS: '3',
    });
    ({ a, b } = nodes);
  });
  const rooms = useRooms(() => a);
  after(async () => {
    await nodes?.close();
  });

  it("one participant's connections and one address's are counted on both nodes together", async () => {
    const room = await rooms.create();
    const alice = await room.issue('Alice');
    const bob = await room.issue('Bob');
    await rooms.connect(alice.token);
    const onB = await rooms.connect(alice.token, { url: b.url });
    // Alice's third connection is refused on either node.
    assert.equal(await connectError(a.url, alice.token), 'TOO_MANY_CONNECTIONS');
    assert.equal(await connectError(b.url, alice.token), 'TOO_MANY_CONNECTIONS');
    // The address (127.0.0.1) holds 2 of its 3: Bob gets the last one, then it is full.
    await rooms.connect(bob.token, { url: b.url });
    assert.equal(await connectError(a.url, bob.token), 'TOO_MANY_CONNECTIONS');

    // A disconnect on node B frees a place for a connection on node A.
    onB.close();
    const again = await eventually(
      () => rooms.connect(alice.token).catch(() => undefined),
      'a freed connection slot',
    );
    assert.ok(again.socket.connected);
  });
});

describe('client addresses behind a proxy (CONVENE_TRUST_PROXY)', () => {
  const [clientA, clientB] = ['203.0.113.1', '203.0.113.2'];
  const forwardedFor = (address: string) => ({ 'X-Forwarded-For': address });
  const wrongKey = `cvn_WRONGWRONGWR_${'x'.repeat(43)}`;
  after(() => {
    delete process.env.CONVENE_TRUST_PROXY;
  });

  /** Fails `count` handshakes from `address` (bad tokens), as a token-guessing client would. */
  async function failHandshakes(url: string, address: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const code = await connectError(url, `bad.token.${i}`, {}, forwardedFor(address));
      assert.equal(code, 'TOKEN_INVALID');
    }
  }

  /** Presents a wrong API key `count` times from `address`; each is 401 (under the limit). */
  async function failApiKeys(url: string, address: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++)
      await new Admin(url, wrongKey).get('/api/v1/rooms').set(forwardedFor(address)).expect(401);
  }

  it('trusted (the ingress is on loopback): each forwarded client has its own failure counts', async () => {
    const t = await startApp({ CONVENE_TRUST_PROXY: '127.0.0.0/8' });
    try {
      const admin = new Admin(t.url);
      const guesser = new Admin(t.url, wrongKey);
      const roomId = await admin.createRoom();
      const valid = await admin.issueToken(roomId, 'Alice');
      await failApiKeys(t.url, clientA, 20);
      const limited = await guesser.get('/api/v1/rooms').set(forwardedFor(clientA)).expect(429);
      assert.equal(limited.body.error.code, 'RATE_LIMITED');
      // Prepending an address of one's own does not escape: the proxy appends the real one.
      await guesser
        .get('/api/v1/rooms')
        .set(forwardedFor(`${clientB}, ${clientA}`))
        .expect(429);
      await guesser.get('/api/v1/rooms').set(forwardedFor(clientB)).expect(401);
      await admin.get('/api/v1/rooms').set(forwardedFor(clientA)).expect(200);

      await failHandshakes(t.url, clientA, 20);
      assert.equal(
        await connectError(t.url, 'bad.token.more', {}, forwardedFor(clientA)),
        'RATE_LIMITED',
      );
      assert.equal(
        await connectError(t.url, 'bad.token.more', {}, forwardedFor(clientB)),
        'TOKEN_INVALID',
      );
      const a = await connect(t.url, valid.token, {}, forwardedFor(clientA));
      assert.ok(a.socket.connected, 'a valid token from the guessing address was refused');
      a.close();
    } finally {
      await t.close();
    }
  });

  it('not trusted (default): X-Forwarded-For is ignored, one count per connecting address', async () => {
    delete process.env.CONVENE_TRUST_PROXY;
    const t = await startApp();
    try {
      await failApiKeys(t.url, clientA, 20);
      await new Admin(t.url, wrongKey).get('/api/v1/rooms').set(forwardedFor(clientB)).expect(429);

      await failHandshakes(t.url, clientA, 20);
      assert.equal(
        await connectError(t.url, 'bad.token.more', {}, forwardedFor(clientB)),
        'RATE_LIMITED',
      );
    } finally {
      await t.close();
    }
  });
});
