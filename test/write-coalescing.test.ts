import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { after, describe, it } from 'node:test';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { coalesceWebSocketWrites } from '../src/common/write-coalescing.js';

/** A real Socket.IO server on loopback, with or without the coalescer, and one client of it. */
async function serverAndClient(coalesce: boolean) {
  const http = createServer();
  const server = new Server(http);
  if (coalesce) coalesceWebSocketWrites(server.engine);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const connected = new Promise<import('socket.io').Socket>((resolve) =>
    server.once('connection', resolve),
  );
  const client: ClientSocket = connectClient(`http://127.0.0.1:${port}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  const socket = await connected;
  await new Promise((resolve) => client.once('connect', resolve as () => void));
  const tcp = (socket.conn.transport as unknown as { socket: { _socket: TcpSocket } }).socket
    ._socket;
  return {
    socket,
    client,
    tcp,
    close: async () => {
      client.close();
      await server.close();
    },
  };
}

/** Counts the writes (write or writev) that reach the TCP socket's handle. */
function countWrites(tcp: TcpSocket): () => number {
  let writes = 0;
  const target = tcp as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
  for (const method of ['_write', '_writev'] as const) {
    const original = target[method].bind(tcp);
    target[method] = (...args: unknown[]) => {
      writes += 1;
      return original(...args);
    };
  }
  return () => writes;
}

/** Emits `count` events to the client in one tick; resolves with them as received. */
async function burst(
  pair: Awaited<ReturnType<typeof serverAndClient>>,
  count: number,
): Promise<number[]> {
  const received: number[] = [];
  const all = new Promise<void>((resolve) =>
    pair.client.on('n', (n: number) => {
      received.push(n);
      if (received.length === count) resolve();
    }),
  );
  for (let n = 0; n < count; n++) pair.socket.emit('n', n);
  await all;
  return received;
}

describe('WebSocket write coalescing', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('packets sent to one connection in one tick reach its TCP socket in a couple of writes, in order', async () => {
    const plain = await serverAndClient(false);
    const coalesced = await serverAndClient(true);
    closers.push(plain.close, coalesced.close);
    const plainWrites = countWrites(plain.tcp);
    const coalescedWrites = countWrites(coalesced.tcp);

    const expected = Array.from({ length: 50 }, (_, n) => n);
    assert.deepEqual(await burst(plain, 50), expected);
    assert.deepEqual(await burst(coalesced, 50), expected);
    // Engine.IO sends the first packet at once and the rest, buffered meanwhile, on drain:
    // without the coalescer each is a write of its own; with it, each of the two sends is one.
    assert.ok(plainWrites() >= 40, `without coalescing: ${plainWrites()} writes`);
    assert.ok(coalescedWrites() <= 3, `with coalescing: ${coalescedWrites()} writes`);
  });

  it('leaves the socket uncorked after the tick, so a later packet goes out on its own', async () => {
    const pair = await serverAndClient(true);
    closers.push(pair.close);
    assert.deepEqual(await burst(pair, 3), [0, 1, 2]);
    assert.equal(pair.tcp.writableCorked, 0);
    const one = new Promise((resolve) => pair.client.once('late', resolve));
    pair.socket.emit('late', 'x');
    assert.equal(await one, 'x');
    assert.equal(pair.tcp.writableCorked, 0);
  });
});
