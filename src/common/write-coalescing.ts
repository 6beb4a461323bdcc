import type { Socket as TcpSocket } from 'node:net';

/** What this needs of an Engine.IO server and its sockets (engine.io's own types, narrowed). */
interface EngineServer {
  on(event: 'flush', listener: (socket: EngineSocket) => void): unknown;
}
interface EngineSocket {
  transport?: { name?: string; socket?: { _socket?: TcpSocket } };
}

/**
 * Coalesces what one WebSocket connection is sent during one tick into one write. Engine.IO
 * sends every packet as a frame of its own and `ws` writes each frame at once: one syscall per
 * packet. Under load, a group commit acknowledges and delivers many messages in the same tick,
 * often several to the same connection; corking its TCP socket at the first packet and uncorking
 * it once the tick's work is done (process.nextTick runs after the pending promise callbacks)
 * turns those into one writev, and delays nothing past the current tick.
 *
 * `ws` keeps the TCP socket in `_socket` (not part of its typed API, stable since ws 1.x); where
 * it is missing (another transport, a future ws), packets are written as before.
 */
export function coalesceWebSocketWrites(engine: EngineServer): void {
  const corked = new Set<TcpSocket>();
  const uncorkAll = () => {
    for (const socket of corked) socket.uncork();
    corked.clear();
  };
  engine.on('flush', (socket) => {
    const transport = socket.transport;
    if (transport?.name !== 'websocket') return;
    const tcp = transport.socket?._socket;
    if (!tcp || corked.has(tcp) || tcp.destroyed) return;
    if (corked.size === 0) process.nextTick(uncorkAll);
    tcp.cork();
    corked.add(tcp);
  });
}
