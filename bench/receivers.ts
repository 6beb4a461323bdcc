/**
 * A child process of the fan-out benchmark: holds a share of the receiving sockets, so that
 * decoding every delivery is not left to the one process that also sends. Driven over IPC
 * (`ReceiversCommand`): connects and joins its sockets, then times each `chat:message` whose text
 * says it is measured (`m <sent at, ms since the epoch>`) against the shared wall clock.
 */
import type { Socket } from 'socket.io-client';
import { connectSocket } from './load.js';

export type ReceiversCommand =
  | { type: 'connect'; url: string; auths: Record<string, unknown>[] }
  | { type: 'report' }
  | { type: 'close' };

export type ReceiversReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | {
      type: 'report';
      /** ms from send to receipt of each measured delivery. */
      latencies: number[];
      /** When the first and the last measured delivery arrived (ms since the epoch). */
      first: number;
      last: number;
      /** This process's CPU time so far (ms). */
      cpuMs: number;
    };

/** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

const sockets: Socket[] = [];
const latencies: number[] = [];
let first = Infinity;
let last = 0;

function reply(message: ReceiversReply): void {
  process.send?.(message);
}

function onMessage(message: { text: string }): void {
  if (!message.text.startsWith('m ')) return;
  const now = wallClock();
  latencies.push(now - Number(message.text.slice(2)));
  first = Math.min(first, now);
  last = Math.max(last, now);
}

async function connect(url: string, auths: Record<string, unknown>[]): Promise<void> {
  // A few at a time: a burst of handshakes is not what is measured here.
  for (let i = 0; i < auths.length; i += 10) {
    await Promise.all(
      auths.slice(i, i + 10).map(async (auth) => {
        const socket = await connectSocket(url, auth);
        sockets.push(socket);
        socket.on('chat:message', onMessage);
        const ack = (await socket.timeout(15_000).emitWithAck('room:join', {})) as { ok: boolean };
        if (!ack.ok) throw new Error(`room:join refused: ${JSON.stringify(ack)}`);
      }),
    );
  }
}

process.on('message', (command: ReceiversCommand) => {
  switch (command.type) {
    case 'connect':
      connect(command.url, command.auths).then(
        () => reply({ type: 'ready' }),
        (error: unknown) => reply({ type: 'failed', error: String(error) }),
      );
      return;
    case 'report': {
      const used = process.cpuUsage();
      reply({
        type: 'report',
        latencies,
        first,
        last,
        cpuMs: (used.user + used.system) / 1000,
      });
      return;
    }
    case 'close':
      for (const socket of sockets) socket.close();
      process.disconnect();
      return;
  }
});
