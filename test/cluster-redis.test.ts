import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { NodeDirectory } from '../src/cluster/node-directory.js';
import { NodeRpc } from '../src/cluster/node-rpc.js';
import { DomainError } from '../src/common/domain-error.js';
import type { ClusterConfig } from '../src/config/configuration.js';
import { ErrorCode } from '../src/protocol/error-codes.js';
import type { PresenceEntry } from '../src/rooms/presence/presence.store.js';
import { RedisPresenceStore } from '../src/rooms/presence/redis-presence.store.js';
import { RedisConnection } from '../src/redis/redis-connection.js';
import { TEST_REDIS_URL } from './support/cluster.js';
import { eventually } from './support/eventually.js';
import { SlowLink } from './support/slow-link.js';

declare module '../src/cluster/node-rpc.js' {
  interface NodeRequests {
    'test.echo': {
      request: { text: string; delayMs?: number; fail?: 'domain' | 'bug' };
      response: string;
    };
  }
}

/** Pieces of several nodes in this process, on the real Redis under a prefix of their own. */
class Nodes {
  readonly prefix = `convene-test:${randomBytes(4).toString('hex')}:`;
  private readonly connections: RedisConnection[] = [];
  private readonly stoppers: (() => unknown)[] = [];

  async connection(nodeId: string, redisUrl = TEST_REDIS_URL): Promise<RedisConnection> {
    const connection = new RedisConnection({ ...this.config(nodeId), redisUrl });
    await connection.connect();
    this.connections.push(connection);
    return connection;
  }

  /** Heartbeats every 250 ms, dead after 1 s; requests wait 1 s. */
  config(nodeId: string): ClusterConfig {
    return {
      redisUrl: TEST_REDIS_URL,
      redisKeyPrefix: this.prefix,
      nodeId,
      nodeTtlSeconds: 1,
      requestTimeoutMs: 1000,
    };
  }

  async rpc(nodeId: string): Promise<NodeRpc> {
    const connection = await this.connection(nodeId);
    const rpc = new NodeRpc(connection, this.config(nodeId));
    await rpc.onModuleInit();
    this.stoppers.push(() => rpc.onApplicationShutdown());
    return rpc;
  }

  async directory(
    nodeId: string,
    redisUrl?: string,
  ): Promise<{ directory: NodeDirectory; connection: RedisConnection }> {
    const connection = await this.connection(nodeId, redisUrl);
    const directory = new NodeDirectory(connection, this.config(nodeId));
    await directory.onModuleInit();
    this.stoppers.push(() => directory.onApplicationShutdown());
    return { directory, connection };
  }

  async close(): Promise<void> {
    for (const stop of this.stoppers) await stop();
    for (const connection of this.connections) await connection.onApplicationShutdown();
    await this.forget();
  }

  /** Deletes this deployment's keys: what a Redis restarted without persistence leaves. */
  async forget(): Promise<void> {
    const redis = new Redis(TEST_REDIS_URL);
    const keys = await redis.keys(`${this.prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
}

/**
 * A deployment of its own and a link to Redis that can hold or delay (`url`: Redis through it),
 * both closed after the test.
 */
async function behindLink(): Promise<{ deployment: Nodes; link: SlowLink; url: string }> {
  const deployment = new Nodes();
  const link = await SlowLink.start(TEST_REDIS_URL.replace(/^redis:/, 'http:'));
  after(async () => {
    await deployment.close();
    await link.close();
  });
  return { deployment, link, url: link.url.replace(/^http:/, 'redis:') };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof DomainError, `expected a DomainError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

describe('NodeRpc on the real Redis', () => {
  const nodes = new Nodes();
  after(() => nodes.close());

  it('answers, carries domain error codes back, hides other errors as INTERNAL, times out, and refuses an unknown node at once', async () => {
    const a = await nodes.rpc('a');
    const b = await nodes.rpc('b');
    b.handle('test.echo', async ({ text, delayMs, fail }, from) => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (fail === 'domain') throw new DomainError(ErrorCode.ROOM_FULL, 'full over there');
      if (fail === 'bug') throw new Error('secret internals');
      return `${text} from ${from}`;
    });
    assert.equal(await a.request('b', 'test.echo', { text: 'hi' }), 'hi from a');

    const domain = await rejectsWith(
      a.request('b', 'test.echo', { text: 'x', fail: 'domain' }),
      ErrorCode.ROOM_FULL,
    );
    assert.equal(domain.message, 'full over there');
    const bug = await rejectsWith(
      a.request('b', 'test.echo', { text: 'x', fail: 'bug' }),
      ErrorCode.INTERNAL,
    );
    assert.doesNotMatch(bug.message, /secret/);

    const started = Date.now();
    await rejectsWith(
      a.request('b', 'test.echo', { text: 'slow', delayMs: 1500 }, 300),
      ErrorCode.SERVICE_UNAVAILABLE,
    );
    const waited = Date.now() - started;
    assert.ok(waited >= 290 && waited < 1400, `timed out after ${waited} ms`);

    const unknown = Date.now();
    await rejectsWith(
      a.request('nobody', 'test.echo', { text: 'x' }),
      ErrorCode.SERVICE_UNAVAILABLE,
    );
    assert.ok(
      Date.now() - unknown < 290,
      'an unknown node is refused without waiting for the deadline',
    );

    // Many requests in flight at once each get their own answer.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.request('b', 'test.echo', { text: `n${i}` })),
    );
    assert.deepEqual(
      answers,
      Array.from({ length: 50 }, (_, i) => `n${i} from a`),
    );
  });
});

describe('NodeDirectory on the real Redis', () => {
  const nodes = new Nodes();
  after(() => nodes.close());

  it('announces a node that stops heartbeating within its TTL, once; a node that comes back after its deadline learns it expired', async () => {
    const { directory: a } = await nodes.directory('a');
    const { directory: b, connection: bRedis } = await nodes.directory('b');
    await a.beatOnce();
    assert.deepEqual(a.liveNodes().sort(), ['a', 'b']);
    const downs: string[] = [];
    a.events.on('node.down', ({ nodeId }) => downs.push(nodeId));

    // b is cut off from Redis: its heartbeats stop reaching it.
    const cutAt = Date.now();
    bRedis.client?.disconnect();
    await eventually(() => downs.length > 0, 'node.down for b', 10_000);
    const after = Date.now() - cutAt;
    assert.deepEqual(downs, ['b']);
    // TTL 1 s, heartbeats every 250 ms.
    assert.ok(after < 2_000, `node.down after ${after} ms`);
    assert.deepEqual(a.liveNodes(), ['a']);

    let expired = 0;
    b.events.on('self.expired', () => expired++);
    await bRedis.client?.connect();
    await b.beatOnce();
    assert.equal(expired, 1);
    await eventually(async () => (await a.beatOnce(), a.isLive('b')), 'b live again');
    // Seen down once, not on every heartbeat since.
    assert.deepEqual(downs, ['b']);
  });

  it('a Redis that lost its data (restarted empty) is noticed at the next heartbeat: each node learns its sessions are stale, and none is announced down', async () => {
    // A deployment of its own: the nodes of the test above are still heartbeating.
    const deployment = new Nodes();
    after(() => deployment.close());
    const { directory: a } = await deployment.directory('lost-a');
    const { directory: b } = await deployment.directory('lost-b');
    await a.beatOnce();
    assert.deepEqual(a.liveNodes().sort(), ['lost-a', 'lost-b']);
    const downs: string[] = [];
    let expired = 0;
    for (const d of [a, b]) {
      d.events.on('node.down', ({ nodeId }) => downs.push(nodeId));
      d.events.on('self.expired', () => expired++);
    }

    await deployment.forget();
    await eventually(
      async () => (await a.beatOnce(), await b.beatOnce(), expired >= 2),
      'both nodes end their sessions, so that their clients join again',
    );
    await a.beatOnce();
    await b.beatOnce();
    assert.deepEqual(a.liveNodes().sort(), ['lost-a', 'lost-b']);
    assert.deepEqual(downs, []);
    assert.equal(expired, 2, 'once');
  });

  it('a node cut off from Redis past its TTL learns it expired, although its held heartbeats renewed it once the link was back', async () => {
    const { deployment, link, url } = await behindLink();
    const { directory: a } = await deployment.directory('cut-a');
    const { directory: b } = await deployment.directory('cut-b', url);
    await a.beatOnce();
    assert.deepEqual(a.liveNodes().sort(), ['cut-a', 'cut-b']);
    const downs: string[] = [];
    let expired = 0;
    a.events.on('node.down', ({ nodeId }) => downs.push(nodeId));
    b.events.on('self.expired', () => expired++);

    // A partition: what b sends stays in the link (its beats time out), and arrives afterwards.
    link.hold('to-server');
    link.hold('to-browser');
    await eventually(() => downs.includes('cut-b'), 'node.down for b', 10_000);
    link.release('to-server');
    link.release('to-browser');
    await eventually(async () => (await b.beatOnce(), expired > 0), 'b learns it expired');
    await b.beatOnce();
    assert.equal(expired, 1);
    await eventually(async () => (await a.beatOnce(), a.isLive('cut-b')), 'b live again');
  });
});

describe('NodeDirectory at boot', () => {
  it('lists a node that started since the last heartbeat when asked for the live nodes now', async () => {
    const deployment = new Nodes();
    after(() => deployment.close());
    const { directory: first } = await deployment.directory('early');
    await deployment.directory('late');
    assert.deepEqual(first.liveNodes(), ['early'], 'not yet seen at a heartbeat');
    assert.deepEqual((await first.liveNodesNow()).sort(), ['early', 'late']);
    // What locating a producer asks (media-cluster.ts): live by the heartbeat, or by Redis now.
    assert.equal(first.isLive('late'), false);
    assert.equal(await first.isLiveNow('late'), true);
    assert.equal(await first.isLiveNow('never-started'), false);
  });

  it('registers although the first heartbeat misses its deadline (a busy start); gives up on a Redis that never answers', async () => {
    // Regression (seen while the machine was busy): a node exited at start with "Command timed
    // out", the first heartbeat's answer having come after the 500 ms command deadline.
    const { deployment, link, url } = await behindLink();
    const connection = await deployment.connection('slow-start', url);
    // The first beat's answer arrives 700 ms late; later answers on time.
    link.delay(700);
    setTimeout(() => link.delay(0), 300);
    const late = new NodeDirectory(connection, deployment.config('slow-start'));
    await late.onModuleInit();
    after(() => late.onApplicationShutdown());
    const { directory: other } = await deployment.directory('watcher');
    await other.beatOnce();
    assert.ok(other.isLive('slow-start'), 'the slow starter is registered');

    // Nothing answers at all: the boot fails after its tries, with the cause.
    const silent = await deployment.connection('silent', url);
    link.hold('to-browser');
    const started = Date.now();
    await assert.rejects(
      new NodeDirectory(silent, deployment.config('silent')).onModuleInit(),
      /Command timed out/,
    );
    assert.ok(Date.now() - started >= 3 * 500, 'three tries, each waited for');
    link.release('to-browser');
  });
});

describe('RedisPresenceStore on the real Redis', () => {
  const nodes = new Nodes();
  after(() => nodes.close());
  const entry = (
    roomId: string,
    nodeId: string,
    over: Partial<PresenceEntry> = {},
  ): PresenceEntry => ({
    roomId,
    participantId: randomUUID(),
    displayName: 'P',
    role: 'participant',
    socketId: randomUUID(),
    nodeId,
    joinedAt: new Date(),
    ...over,
  });
  const stores = async (count: number) => {
    const connections = await Promise.all(
      Array.from({ length: count }, (_, i) => nodes.connection(`store-${i}`)),
    );
    return connections.map((c) => new RedisPresenceStore(c.client!, c.keyPrefix));
  };

  it('admits exactly the capacity when many join at once through several connections', async () => {
    const s = await stores(4);
    const roomId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => s[i % 4].join(entry(roomId, `n${i % 4}`), 10)),
    );
    assert.equal(results.filter((r) => r.ok).length, 10);
    assert.equal((await s[0].list(roomId)).length, 10);
  });

  it('replaces a participant’s connection, keeps when they joined, and lets only the current connection leave', async () => {
    const [s] = await stores(1);
    const roomId = randomUUID();
    const first = entry(roomId, 'n1', { joinedAt: new Date(Date.now() - 60_000) });
    const joined = await s.join(first, 1);
    assert.ok(joined.ok);
    assert.deepEqual(joined, {
      ok: true,
      replacedSocketId: undefined,
      alreadyJoined: false,
      seq: joined.seq,
    });
    const again = await s.join(first, 1);
    assert.ok(again.ok);
    assert.deepEqual(again, {
      ok: true,
      replacedSocketId: undefined,
      alreadyJoined: true,
      seq: again.seq,
    });
    const second = { ...first, socketId: randomUUID(), nodeId: 'n2', joinedAt: new Date() };
    // At capacity, the same participant still gets in: it replaces, it does not add.
    const replaced = await s.join(second, 1);
    assert.ok(replaced.ok);
    assert.deepEqual(replaced, {
      ok: true,
      replacedSocketId: first.socketId,
      alreadyJoined: false,
      seq: replaced.seq,
    });
    // Joins are numbered in the order presence took them, across the stores sharing Redis.
    assert.ok(joined.seq < again.seq && again.seq < replaced.seq);
    const now = await s.get(roomId, first.participantId);
    assert.equal(now?.socketId, second.socketId);
    assert.equal(now?.nodeId, 'n2');
    assert.equal(now?.joinedAt.getTime(), first.joinedAt.getTime());
    assert.equal(await s.leave(roomId, first.participantId, first.socketId), undefined);
    assert.equal(
      (await s.leave(roomId, first.participantId, second.socketId))?.socketId,
      second.socketId,
    );
    assert.deepEqual(await s.list(roomId), []);
  });

  it('removes a dead node’s entries and waiters once, even when every node removes them at the same time, and nothing of the living', async () => {
    const s = await stores(3);
    const roomId = randomUUID();
    const dead = Array.from({ length: 5 }, () => entry(roomId, 'dead'));
    const alive = Array.from({ length: 3 }, () => entry(roomId, 'alive'));
    const moved = entry(roomId, 'dead');
    for (const e of [...dead, ...alive, moved]) await s[0].join(e, null);
    // Reconnected through a living node before the death was noticed.
    await s[0].join({ ...moved, socketId: randomUUID(), nodeId: 'alive' }, null);
    const waiter = {
      roomId,
      participantId: randomUUID(),
      displayName: 'G',
      socketId: randomUUID(),
      nodeId: 'dead',
      waitingSince: new Date(),
    };
    await s[1].enqueueLobby(waiter);

    const removals = await Promise.all(s.map((store) => store.removeNode('dead')));
    const entries = removals.flatMap((r) => r.entries.map((e) => e.participantId)).sort();
    assert.deepEqual(entries, dead.map((e) => e.participantId).sort());
    assert.deepEqual(
      removals.flatMap((r) => r.waiters.map((w) => w.participantId)),
      [waiter.participantId],
    );
    assert.deepEqual(
      (await s[2].list(roomId)).map((e) => e.participantId).sort(),
      [...alive, moved].map((e) => e.participantId).sort(),
    );
    assert.deepEqual(await s[2].listLobby(roomId), []);
  });

  it('answers SERVICE_UNAVAILABLE, not a stale decision, when Redis is unreachable', async () => {
    const connection = await nodes.connection('cut');
    const store = new RedisPresenceStore(connection.client!, connection.keyPrefix);
    connection.client!.disconnect();
    await rejectsWith(store.join(entry(randomUUID(), 'cut'), null), ErrorCode.SERVICE_UNAVAILABLE);
  });
});
